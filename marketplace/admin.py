"""Back office for data products. Writes and actions go through marketplace.services."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from loom_portal.admin_base import PolicyAdmin, ReadOnlyPolicyAdmin, ServiceForm
from loom_portal.choices import SensitivityLabel
from marketplace import services
from marketplace.models import AccessApproval, AccessRequest, DataProduct, Grant, LineageEdge, ProductColumn
from marketplace.services import access as access_services
from marketplace.services import grants as grant_services


class _ReadOnlyInline(admin.TabularInline):
    """Shown on the product's page, never written here (the services own these rows)."""

    extra = 0
    can_delete = False

    def has_view_permission(self, request, obj=None):
        return True  # the product admin already decided that the product is visible (inlines: change page only)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ProductColumnInline(_ReadOnlyInline):
    model = ProductColumn
    fields = ["position", "name", "data_type", "classification", "is_scopable", "description"]
    readonly_fields = fields


class LineageEdgeInline(_ReadOnlyInline):
    model = LineageEdge
    fk_name = "downstream"
    verbose_name = "upstream source"
    verbose_name_plural = "lineage: upstream sources"
    fields = ["upstream", "external_source", "created_at"]
    readonly_fields = fields


def _words(text: str) -> list[str]:
    return [w.strip() for w in (text or "").split(",") if w.strip()]


class DataProductAdminForm(ServiceForm):
    slug = forms.SlugField(required=False, help_text="Leave empty to derive it from the name.")
    sensitivity = forms.ChoiceField(
        choices=[("", "The domain's default")] + list(SensitivityLabel.choices), required=False
    )
    tags_text = forms.CharField(label="Tags", required=False, help_text="Comma-separated.")
    glossary_text = forms.CharField(label="Glossary terms", required=False, help_text="Comma-separated.")

    class Meta:
        model = DataProduct
        fields = [
            "name", "slug", "domain", "workspace", "kind", "description", "sensitivity", "discoverability",
            "source_engine", "source_database", "source_schema", "source_table", "source_path", "freshness_sla_hours",
        ]


@admin.register(DataProduct)
class DataProductAdmin(PolicyAdmin):
    form = DataProductAdminForm
    perms = {
        "view": "marketplace.view_dataproduct",
        "change": "marketplace.change_dataproduct",
        "add": "marketplace.add_dataproduct",
    }
    list_display = ["name", "slug", "domain", "kind", "status", "sensitivity", "version", "updated_at"]
    list_filter = ["status", "kind", "sensitivity", ("domain", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["name", "slug", "description", "tags__name"]
    list_select_related = ["domain"]
    actions = ["publish_selected", "deprecate_selected"]
    inlines = [ProductColumnInline, LineageEdgeInline]
    fieldsets = [
        (None, {"fields": ["name", "slug", "domain", "workspace", "kind", "status", "version", "description"]}),
        ("Classification", {"fields": ["sensitivity", "discoverability", "tags_text", "glossary_text"]}),
        ("Source", {"fields": ["source_engine", "source_database", "source_schema", "source_table", "source_path"]}),
        ("Freshness", {"fields": ["freshness_sla_hours", "last_refreshed_at"]}),
    ]

    def get_readonly_fields(self, request, obj=None):
        always = ["status", "version", "last_refreshed_at"]
        return ["slug", "domain", *always] if obj else always

    def get_inline_instances(self, request, obj=None):
        return super().get_inline_instances(request, obj) if obj is not None else []

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("domain", "workspace")

    def construct_change_message(self, request, form, formsets, add=False):
        return super().construct_change_message(request, form, [], add)  # the inlines are read-only, never saved

    def get_form(self, request, obj=None, change=False, **kwargs):
        form_class = super().get_form(request, obj, change=change, **kwargs)
        tags = ", ".join(obj.tags.values_list("name", flat=True)) if obj else ""
        terms = ", ".join(obj.glossary_terms) if obj else ""

        class Form(form_class):
            def __init__(self, *args, **kw):
                super().__init__(*args, **kw)
                self.fields["tags_text"].initial = tags
                self.fields["glossary_text"].initial = terms

        return Form

    def save_through_service(self, request, obj, data, change):
        values = {
            "name": data.get("name", ""),
            "kind": data.get("kind", ""),
            "workspace": data.get("workspace"),
            "description": data.get("description", ""),
            "discoverability": data.get("discoverability", ""),
            "tags": _words(data.get("tags_text")),
            "glossary_terms": _words(data.get("glossary_text")),
            "source_engine": data.get("source_engine", ""),
            "source_database": data.get("source_database", ""),
            "source_schema": data.get("source_schema", ""),
            "source_table": data.get("source_table", ""),
            "source_path": data.get("source_path", ""),
            "freshness_sla_hours": data.get("freshness_sla_hours"),
        }
        if change:
            values["sensitivity"] = data.get("sensitivity") or obj.sensitivity
            return services.product_update(actor=request.user, product=obj, **values)
        return services.product_create(
            actor=request.user, domain=data.get("domain"), slug=data.get("slug", ""),
            sensitivity=data.get("sensitivity") or None, **values,
        )

    def _act(self, request, queryset, service, done: str):
        count = 0
        for product in queryset:
            try:
                service(actor=request.user, product=product)
                count += 1
            except (ValidationError, PermissionError, PermissionDenied, Http404) as exc:
                messages.error(request, f"{product}: {' '.join(getattr(exc, 'messages', [str(exc)]))}")
        if count:
            messages.success(request, f"{done} {count} product{'s' if count != 1 else ''}.")

    @admin.action(description="Publish selected products", permissions=["change"])
    def publish_selected(self, request, queryset):
        self._act(request, queryset, services.product_publish, "Published")

    @admin.action(description="Deprecate selected products", permissions=["change"])
    def deprecate_selected(self, request, queryset):
        self._act(request, queryset, services.product_deprecate, "Deprecated")

from marketplace.apim import admin as apim_admin  # noqa: E402,F401 - API Management tiers and publications

# --- Access: requests and grants (read in the back office; decisions through the services) ------------



class AccessApprovalInline(_ReadOnlyInline):
    model = AccessApproval
    fields = ["step", "approver", "note", "created_at"]
    readonly_fields = fields


@admin.register(AccessRequest)
class AccessRequestAdmin(ReadOnlyPolicyAdmin):
    perms = {"view": "marketplace.view_accessrequest"}
    list_display = ["id", "product", "requester", "status", "duration_days", "approvals_required", "created_at"]
    list_filter = ["status", ("product__domain", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["product__name", "requester__email", "purpose"]
    list_select_related = ["product", "requester"]
    readonly_fields = ["product", "requester", "purpose", "scope", "duration_days", "status", "approvals_required",
                       "decided_by", "decided_at", "decision_reason", "reminded_at", "created_at"]
    fields = readonly_fields
    inlines = [AccessApprovalInline]
    actions = ["approve_selected"]

    @admin.action(description="Approve the selected requests (through the access services)")
    def approve_selected(self, request, queryset):
        done, errors = access_services.access_requests_decide(actor=request.user, requests=list(queryset), approve=True)
        if done:
            messages.success(request, f"{done} request(s) approved.")
        for error in errors:
            messages.error(request, error)


@admin.register(Grant)
class GrantAdmin(ReadOnlyPolicyAdmin):
    perms = {"view": "marketplace.view_grant"}
    list_display = ["id", "product", "grantee", "status", "engine", "expires_at", "last_used_at", "verified_at"]
    list_filter = ["status", "engine", ("product__domain", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["product__name", "grantee__email", "principal"]
    list_select_related = ["product", "grantee"]
    readonly_fields = ["product", "grantee", "request", "principal", "engine", "scope", "status", "status_reason",
                       "apply_sql", "expires_at", "activated_at", "ended_at", "ended_by", "engine_applied",
                       "verified_at", "recertified_at", "last_used_at", "created_at"]
    fields = readonly_fields
    actions = ["revoke_selected"]

    @admin.action(description="Revoke the selected grants (reason: revoked in the back office)")
    def revoke_selected(self, request, queryset):
        for grant in queryset:
            try:
                grant_services.grant_revoke(actor=request.user, grant=grant, reason="Revoked in the back office.")
            except (ValidationError, PermissionError, PermissionDenied, Http404) as exc:
                messages.error(request, f"Grant #{grant.pk}: {' '.join(getattr(exc, 'messages', [str(exc)]))}")
