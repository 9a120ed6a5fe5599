"""The root GraphQL schema: each app contributes its queries from its graphql/ package."""

import graphene

from chargeback.graphql.mutations import ChargebackMutation
from chargeback.graphql.queries import ChargebackQuery
from domains.graphql.queries import DomainQuery
from loom_portal.graphql.queries import CoreQuery
from marketplace.graphql.access.mutations import AccessMutation
from marketplace.graphql.access.queries import AccessQuery
from marketplace.graphql.mutations import CatalogMutation
from marketplace.graphql.queries import CatalogQuery


class Query(CoreQuery, DomainQuery, CatalogQuery, AccessQuery, ChargebackQuery, graphene.ObjectType):
    pass


class Mutation(CatalogMutation, AccessMutation, ChargebackMutation, graphene.ObjectType):
    pass


schema = graphene.Schema(query=Query, mutation=Mutation)
