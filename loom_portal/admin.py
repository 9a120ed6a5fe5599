"""Back office for platform owners: tenants, users and roles, the audit log, job runs."""

from django import forms
from django.contrib import admin

from loom_portal import services
from loom_portal.admin_base import PolicyAdmin, ReadOnlyPolicyAdmin, ServiceForm
from loom_portal.models import AuditEvent, JobRun, Tenant, User

admin.site.site_header = "Loom Portal back office"
admin.site.site_title = "Loom Portal admin"
admin.site.index_title = "Platform administration"


@admin.register(Tenant)
class TenantAdmin(PolicyAdmin):
    perms = {"view": "loom_portal.view_tenant", "change": "loom_portal.change_tenant", "add": "loom_portal.add_tenant"}
    list_display = ["name", "slug", "entra_tenant_id", "is_active", "created_at"]
    search_fields = ["name", "slug"]
    fields = ["name", "slug", "entra_tenant_id", "is_active"]

    def get_readonly_fields(self, request, obj=None):
        return ["slug", "entra_tenant_id"] if obj else []

    def has_add_permission(self, request):
        return request.user.is_superuser  # tenants are created by the deployment's operators

    def save_through_service(self, request, obj, data, change):
        if change:
            return services.tenant_update(actor=request.user, tenant=obj, name=data["name"], is_active=data["is_active"])
        return services.tenant_create(
            actor=request.user, name=data["name"], slug=data.get("slug", ""), entra_tenant_id=data.get("entra_tenant_id")
        )


class UserAdminForm(ServiceForm):
    password = forms.CharField(
        widget=forms.PasswordInput, required=False, help_text="For a local (break-glass or demo) account only."
    )

    class Meta:
        model = User
        fields = ["email", "first_name", "last_name", "is_active", "is_finance", "is_domain_owner", "is_platform_owner"]


@admin.register(User)
class UserAdmin(PolicyAdmin):
    form = UserAdminForm
    perms = {"view": "loom_portal.view_user", "change": "loom_portal.change_user", "add": "loom_portal.add_user"}
    list_display = ["email", "first_name", "last_name", "tenant", "is_finance", "is_domain_owner", "is_platform_owner", "is_active"]
    list_filter = ["is_active", "is_finance", "is_domain_owner", "is_platform_owner"]
    search_fields = ["email", "first_name", "last_name"]
    ordering = ["email"]

    def get_fields(self, request, obj=None):
        base = ["first_name", "last_name", "is_active", "is_finance", "is_domain_owner", "is_platform_owner"]
        return (["email", "entra_object_id", "last_login"] + base) if obj else (["email", "password"] + base)

    def get_readonly_fields(self, request, obj=None):
        return ["email", "entra_object_id", "last_login"] if obj else []

    def save_through_service(self, request, obj, data, change):
        roles = {k: data.get(k, False) for k in services.ROLE_FIELDS}
        if change:
            return services.user_update(
                actor=request.user,
                user=obj,
                first_name=data.get("first_name", ""),
                last_name=data.get("last_name", ""),
                is_active=data.get("is_active", True),
                **roles,
            )
        return services.user_create(
            actor=request.user,
            tenant=request.user.tenant,
            email=data["email"],
            first_name=data.get("first_name", ""),
            last_name=data.get("last_name", ""),
            password=data.get("password") or None,
            **roles,
        )


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyPolicyAdmin):
    perms = {"view": "loom_portal.view_auditevent"}
    list_display = ["created_at", "actor_repr", "action", "target_type", "target_repr"]
    list_filter = ["action", "target_type", ("created_at", admin.DateFieldListFilter)]
    search_fields = ["actor_repr", "action", "target_repr", "target_id"]
    date_hierarchy = "created_at"
    readonly_fields = ["created_at", "tenant", "actor_repr", "action", "target_type", "target_id", "target_repr", "data"]
    fields = readonly_fields


@admin.register(JobRun)
class JobRunAdmin(ReadOnlyPolicyAdmin):
    perms = {"view": "loom_portal.view_jobrun"}
    list_display = ["name", "status", "progress_current", "progress_total", "started_at", "finished_at", "message"]
    list_filter = ["status", "name"]
    search_fields = ["name", "message", "error"]
    readonly_fields = ["name", "status", "progress_current", "progress_total", "message", "error", "started_at", "finished_at"]
    fields = readonly_fields
