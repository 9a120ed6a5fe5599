"""Back office for API Management: tiers (Bronze, Silver, Gold...) and publications (read-only, with actions)."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from loom_portal.admin_base import PolicyAdmin, ReadOnlyPolicyAdmin, ServiceForm
from marketplace.apim import services
from marketplace.models import ApiPublication, ApiTier


class ApiTierForm(ServiceForm):
    class Meta:
        model = ApiTier
        fields = ["name", "rate_limit_calls", "rate_limit_period_seconds", "quota_calls", "quota_period_seconds"]


@admin.register(ApiTier)
class ApiTierAdmin(PolicyAdmin):
    form = ApiTierForm
    perms = {
        "view": "marketplace.view_apitier",
        "change": "marketplace.manage_apitier",
        "delete": "marketplace.manage_apitier",
        "add": "marketplace.add_apitier",
    }
    list_display = ["name", "rate_limit_calls", "rate_limit_period_seconds", "quota_calls", "quota_period_seconds"]

    def save_through_service(self, request, obj, data, change):
        values = {k: data.get(k) for k in ApiTierForm.Meta.fields}
        if change:
            return services.api_tier_update(actor=request.user, tier=obj, **values)
        return services.api_tier_create(actor=request.user, **values)

    def delete_through_service(self, request, obj):
        services.api_tier_delete(actor=request.user, tier=obj)


@admin.register(ApiPublication)
class ApiPublicationAdmin(ReadOnlyPolicyAdmin):
    perms = {"view": "marketplace.view_apipublication", "change": "marketplace.change_apipublication"}
    list_display = ["product", "tier", "state", "apim_api_id", "last_synced_at", "last_error"]
    list_filter = ["state", "tier"]
    list_select_related = ["product", "tier"]
    readonly_fields = ["product", "tier", "state", "apim_api_id", "apim_product_id", "api_etag", "product_etag",
                       "policy_etag", "openapi_sha256", "last_synced_at", "last_error", "created_at", "updated_at"]
    actions = ["resync_selected", "unpublish_selected"]

    def has_change_permission(self, request, obj=None):
        # The actions need "change" on the list; a publication itself is never edited here.
        return obj is None and PolicyAdmin.has_change_permission(self, request, None)

    def _act(self, request, queryset, call, done: str):
        count = 0
        for publication in queryset:
            try:
                call(publication)
                count += 1
            except (ValidationError, PermissionDenied, Http404) as exc:
                messages.error(request, f"{publication.product}: {' '.join(getattr(exc, 'messages', [str(exc)]))}")
        if count:
            messages.success(request, f"{done} {count} API{'s' if count != 1 else ''}.")

    @admin.action(description="Sync selected APIs to API Management now", permissions=["change"])
    def resync_selected(self, request, queryset):
        self._act(request, queryset, lambda p: services.apim_resync(actor=request.user, publication=p), "Queued")

    @admin.action(description="Unpublish selected APIs", permissions=["change"])
    def unpublish_selected(self, request, queryset):
        self._act(request, queryset, lambda p: services.apim_unpublish(actor=request.user, product=p.product),
                  "Unpublishing")
