"""Back office for domains, workspaces and stewardship. Writes go through domains.services."""

from django import forms
from django.contrib import admin
from django.db import transaction

from domains import selectors, services
from domains.choices import DomainRole
from domains.models import Domain, Workspace
from loom_portal.admin_base import PolicyAdmin, ServiceForm
from loom_portal.models import User


class DomainAdminForm(ServiceForm):
    slug = forms.SlugField(required=False, help_text="Leave empty to derive it from the name.")
    owners = forms.ModelMultipleChoiceField(queryset=User.objects.none(), required=False)
    stewards = forms.ModelMultipleChoiceField(queryset=User.objects.none(), required=False)

    class Meta:
        model = Domain
        fields = ["name", "slug", "description", "parent", "entra_group_id", "default_sensitivity"]


@admin.register(Domain)
class DomainAdmin(PolicyAdmin):
    form = DomainAdminForm
    perms = {
        "view": "domains.view_domain",
        "change": "domains.change_domain",
        "delete": "domains.delete_domain",
        "add": "domains.add_domain",
    }
    list_display = ["name", "slug", "parent", "default_sensitivity", "tenant"]
    list_filter = ["default_sensitivity"]
    search_fields = ["name", "slug", "description"]
    fields = ["name", "slug", "description", "parent", "entra_group_id", "default_sensitivity", "owners", "stewards"]

    def get_readonly_fields(self, request, obj=None):
        return ["slug"] if obj else []

    def get_form(self, request, obj=None, change=False, **kwargs):
        form_class = super().get_form(request, obj, change=change, **kwargs)
        tenant_id = obj.tenant_id if obj else request.user.tenant_id
        people = User.objects.filter(tenant_id=tenant_id, is_active=True).order_by("email")
        initial = selectors.domain_people(selectors.domain_get(actor=request.user, pk=obj.pk)) if obj else {}

        class Form(form_class):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, **kwargs)
                for role in ("owners", "stewards"):
                    self.fields[role].queryset = people
                    self.fields[role].initial = [u.pk for u in initial.get(role, [])]

        return Form

    @transaction.atomic
    def save_through_service(self, request, obj, data, change):
        if change:
            domain = services.domain_update(
                actor=request.user,
                domain=obj,
                name=data["name"],
                description=data.get("description", ""),
                parent=data.get("parent"),
                entra_group_id=data.get("entra_group_id"),
                default_sensitivity=data["default_sensitivity"],
            )
        else:
            domain = services.domain_create(
                actor=request.user,
                name=data["name"],
                slug=data.get("slug", ""),
                description=data.get("description", ""),
                parent=data.get("parent"),
                entra_group_id=data.get("entra_group_id"),
                default_sensitivity=data["default_sensitivity"],
            )
        current = selectors.domain_people(selectors.domain_get(actor=request.user, pk=domain.pk))
        for field, role in (("owners", DomainRole.OWNER), ("stewards", DomainRole.STEWARD)):
            wanted = set(data.get(field) or [])
            had = set(current[field])
            for user in wanted - had:
                services.domain_assign_role(actor=request.user, domain=domain, user=user, role=role)
            for user in had - wanted:
                services.domain_remove_role(actor=request.user, domain=domain, user=user, role=role)
        return domain

    def delete_through_service(self, request, obj):
        services.domain_delete(actor=request.user, domain=obj)


@admin.register(Workspace)
class WorkspaceAdmin(PolicyAdmin):
    perms = {
        "view": "domains.view_workspace",
        "change": "domains.change_workspace",
        "delete": "domains.delete_workspace",
        "add": "domains.add_workspace",
    }
    list_display = ["name", "workspace_id", "domain", "cost_centre", "owner"]
    list_filter = ["domain"]
    search_fields = ["name", "workspace_id", "cost_centre"]
    fields = ["name", "workspace_id", "domain", "cost_centre", "owner"]

    def save_through_service(self, request, obj, data, change):
        values = {
            "domain": data.get("domain"),
            "workspace_id": data.get("workspace_id", ""),
            "name": data.get("name", ""),
            "cost_centre": data.get("cost_centre", ""),
            "owner": data.get("owner"),
        }
        if change:
            return services.workspace_update(actor=request.user, workspace=obj, **values)
        return services.workspace_create(actor=request.user, **values)

    def delete_through_service(self, request, obj):
        services.workspace_delete(actor=request.user, workspace=obj)
