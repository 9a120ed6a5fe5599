from rest_framework.routers import SimpleRouter

from domains.api.views import DomainViewSet, WorkspaceViewSet

router = SimpleRouter()
router.register("domains", DomainViewSet, basename="domain")
router.register("workspaces", WorkspaceViewSet, basename="workspace")
urlpatterns = router.urls
