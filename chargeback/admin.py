"""Back office for chargeback: cost scopes and allocation rules (through services); read-only cost rows,
unmapped tags, budgets and budget alerts (finance manages budgets on the finance pages)."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

from chargeback import services
from chargeback.models import AllocationRule, Budget, BudgetAlert, CostRecord, CostScope, UnmappedTagValue
from chargeback.services.allocation import parse_shares
from loom_portal.admin_base import PolicyAdmin, ReadOnlyPolicyAdmin, ServiceForm


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


class AllocationRuleForm(ServiceForm):
    shares = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Domain slugs; for the fixed method with percentages summing to 100, e.g. finance=50, hr=30, "
        "mission-ops=20. Empty: every domain with direct cost that month (proportional or even).",
    )

    class Meta:
        model = AllocationRule
        fields = ["name", "method", "enabled", "valid_from", "valid_to"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        rule = self.instance
        if rule.pk and not self.is_bound:
            self.initial["shares"] = ", ".join(
                f"{s.domain.slug}={s.percent.normalize()}" if s.percent is not None else s.domain.slug
                for s in rule.shares.select_related("domain")
            )

    def clean_shares(self):
        try:
            return parse_shares(self.cleaned_data.get("shares", ""))
        except ValidationError as exc:
            raise forms.ValidationError(exc.message_dict["shares"]) from None


@admin.register(AllocationRule)
class AllocationRuleAdmin(PolicyAdmin):
    """Split unallocated cost across domains: proportional to tagged spend, evenly, or by fixed percentages."""

    form = AllocationRuleForm
    perms = {
        "view": "chargeback.view_allocationrule",
        "change": "chargeback.change_allocationrule",
        "delete": "chargeback.delete_allocationrule",
        "add": "chargeback.add_allocationrule",
    }
    list_display = ["name", "method", "enabled", "valid_from", "valid_to"]
    list_filter = ["method", "enabled"]
    search_fields = ["name"]
    fields = ["name", "method", "enabled", "valid_from", "valid_to", "shares"]

    def save_through_service(self, request, obj, data, change):
        values = {
            "name": data.get("name", ""),
            "method": data.get("method", ""),
            "enabled": bool(data.get("enabled")),
            "valid_from": data.get("valid_from"),
            "valid_to": data.get("valid_to"),
            "shares": data.get("shares") or [],
        }
        if change:
            return services.allocation_rule_update(actor=request.user, rule=obj, **values)
        return services.allocation_rule_create(actor=request.user, **values)

    def delete_through_service(self, request, obj):
        services.allocation_rule_delete(actor=request.user, rule=obj)


@admin.register(Budget)
class BudgetAdmin(ReadOnlyPolicyAdmin):
    """Budgets are written by finance on the finance pages; the back office shows them and their push state."""

    perms = {"view": "chargeback.view_budget"}
    list_display = ["name", "domain", "workspace", "amount", "currency", "start_date", "push_state", "last_pushed_at"]
    list_filter = ["push_state", "currency"]
    search_fields = ["name"]
    list_select_related = ["domain", "workspace"]


@admin.register(BudgetAlert)
class BudgetAlertAdmin(ReadOnlyPolicyAdmin):
    perms = {"view": "chargeback.view_budgetalert"}
    list_display = ["budget", "period", "threshold_type", "percent", "spend", "currency", "created_at"]
    list_filter = ["threshold_type", "period"]
    list_select_related = ["budget"]
