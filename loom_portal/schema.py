"""The root GraphQL schema: each app contributes its queries from its graphql/ package."""

import graphene

from domains.graphql.queries import DomainQuery
from loom_portal.graphql.queries import CoreQuery
from marketplace.graphql.mutations import CatalogMutation
from marketplace.graphql.queries import CatalogQuery


class Query(CoreQuery, DomainQuery, CatalogQuery, graphene.ObjectType):
    pass


class Mutation(CatalogMutation, graphene.ObjectType):
    pass


schema = graphene.Schema(query=Query, mutation=Mutation)
