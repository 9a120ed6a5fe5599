import graphene
from django.db.models import Prefetch
from django.http import Http404

from domains import selectors
from domains.graphql.types import DomainType
from domains.models import Workspace


class DomainQuery(graphene.ObjectType):
    domains = graphene.List(graphene.NonNull(DomainType), required=True)
    domain = graphene.Field(DomainType, slug=graphene.String(required=True))

    def resolve_domains(root, info):
        return selectors.domain_list(actor=info.context.user).prefetch_related(
            Prefetch("workspaces", queryset=Workspace.objects.order_by("name"))
        )

    def resolve_domain(root, info, slug):
        try:
            return selectors.domain_get(actor=info.context.user, slug=slug)
        except Http404:
            return None
