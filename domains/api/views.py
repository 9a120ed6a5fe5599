from rest_framework import viewsets

from domains import selectors
from domains.api.serializers import DomainSerializer, WorkspaceSerializer


class DomainViewSet(viewsets.ReadOnlyModelViewSet):
    """Domains of the caller's tenant."""

    serializer_class = DomainSerializer
    lookup_field = "slug"
    policy = {"list": "domains.view_domain", "retrieve": "domains.view_domain"}

    def get_queryset(self):
        return selectors.domain_list(actor=self.request.user)


class WorkspaceViewSet(viewsets.ReadOnlyModelViewSet):
    """Loom workspaces of the caller's tenant."""

    serializer_class = WorkspaceSerializer
    policy = {"list": "domains.view_workspace", "retrieve": "domains.view_workspace"}

    def get_queryset(self):
        return selectors.workspace_list(actor=self.request.user)
