import graphene
from graphene_django import DjangoObjectType

from domains.models import Domain, Workspace


class WorkspaceType(DjangoObjectType):
    class Meta:
        model = Workspace
        fields = ["id", "workspace_id", "name", "cost_centre"]


class DomainType(DjangoObjectType):
    workspaces = graphene.List(graphene.NonNull(WorkspaceType), required=True)

    class Meta:
        model = Domain
        fields = ["id", "slug", "name", "description", "default_sensitivity"]

    def resolve_workspaces(domain, info):
        return domain.workspaces.all()  # prefetched by the selector
