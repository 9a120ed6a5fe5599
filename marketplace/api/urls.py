from django.urls import path, re_path
from rest_framework.routers import SimpleRouter

from marketplace.api.access import AccessRequestViewSet, GrantViewSet
from marketplace.api.views import ProductContractImportView, ProductContractView, ProductViewSet

router = SimpleRouter()
router.register("products", ProductViewSet, basename="product")
router.register("access-requests", AccessRequestViewSet, basename="access-request")
router.register("grants", GrantViewSet, basename="grant")
urlpatterns = [
    path("products/import-contract", ProductContractImportView.as_view(), name="product_import_contract"),
    # Any path segment reaches the view, so an unknown slug is the API's 404, not Django's HTML page.
    re_path(r"^products/(?P<slug>[^/]+)/contract$", ProductContractView.as_view(), name="product_contract"),
    *router.urls,
]
