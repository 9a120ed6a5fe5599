"""Back office for chargeback: cost scopes (through services), and read-only cost rows and unmapped tags."""

from django.contrib import admin

from chargeback import services
from chargeback.models import CostRecord, CostScope, UnmappedTagValue
from loom_portal.admin_base import PolicyAdmin, ReadOnlyPolicyAdmin


@admin.register(CostScope)
class CostScopeAdmin(PolicyAdmin):
    perms = {
        "view": "chargeback.view_costscope",
        "change": "chargeback.change_costscope",
        "delete": "chargeback.delete_costscope",
        "add": "chargeback.add_costscope",
    }
    list_display = ["name", "scope", "cloud", "cost_type", "enabled", "history_start", "last_complete_day"]
    list_filter = ["cloud", "cost_type", "enabled"]
    search_fields = ["name", "scope"]
    fields = ["name", "scope", "cloud", "cost_type", "enabled", "history_start", "last_complete_day"]
    readonly_fields = ["last_complete_day"]

    def save_through_service(self, request, obj, data, change):
        values = {
            "name": data.get("name", ""),
            "scope": data.get("scope", ""),
            "cloud": data.get("cloud", ""),
            "cost_type": data.get("cost_type", ""),
            "history_start": data.get("history_start"),
            "enabled": bool(data.get("enabled")),
        }
        if change:
            return services.cost_scope_update(actor=request.user, cost_scope=obj, **values)
        return services.cost_scope_create(actor=request.user, **values)

    def delete_through_service(self, request, obj):
        services.cost_scope_delete(actor=request.user, cost_scope=obj)


@admin.register(CostRecord)
class CostRecordAdmin(ReadOnlyPolicyAdmin):
    perms = {"view": "chargeback.view_costrecord"}
    list_display = ["usage_date", "scope", "domain", "workspace", "workspace_tag", "domain_tag", "cost", "currency"]
    list_filter = ["cost_type", "currency", "scope"]
    search_fields = ["workspace_tag", "domain_tag"]
    list_select_related = ["scope", "domain", "workspace"]
    date_hierarchy = "usage_date"


@admin.register(UnmappedTagValue)
class UnmappedTagValueAdmin(ReadOnlyPolicyAdmin):
    """Tag values no workspace or domain claims: create the workspace (loomWorkspaceId) or domain (slug) to map them."""

    perms = {"view": "chargeback.view_unmappedtagvalue"}
    list_display = ["tag_key", "value", "first_seen", "last_seen", "updated_at"]
    list_filter = ["tag_key"]
    search_fields = ["value"]
