from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.permissions import IsAuthenticated

from loom_portal import api, observability, views
from loom_portal.graphql.view import PortalGraphQLView

api_v1 = [
    path("", include("domains.api.urls")),
    path("", include("chargeback.api.urls")),
    path("", include("marketplace.api.urls")),
    re_path(r"^(?P<unmatched>.*)$", api.not_found),
]

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("favicon.ico", views.favicon),
    path("metrics", observability.metrics, name="metrics"),
    path("notifications/", views.notification_list, name="notifications"),
    path("notifications/read-all/", views.notification_read_all, name="notification_read_all"),
    path("notifications/<int:pk>/read/", views.notification_read, name="notification_read"),
    path("account/tokens/", views.api_token_list, name="api_tokens"),
    path("account/tokens/<int:pk>/revoke/", views.api_token_revoke, name="api_token_revoke"),
    path("domains/", include("domains.urls")),
    path("chargeback/", include("chargeback.urls")),
    path("catalog/", include("marketplace.urls")),
    path("developers/", include("devportal.urls")),
    path("accounts/", include("allauth.urls")),
    path("oidc/", include("loom_portal.auth.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(permission_classes=[IsAuthenticated]), name="api_schema"),
    path(
        "api/docs/",
        SpectacularSwaggerView.as_view(url_name="api_schema", permission_classes=[IsAuthenticated]),
        name="api_docs",
    ),
    path("graphql/", PortalGraphQLView.as_view(), name="graphql"),
    path("access/", include("marketplace.access_urls")),
    path("data/v1/", include("marketplace.data_api")),
]
