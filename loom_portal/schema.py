"""The root GraphQL schema: each app contributes its queries from its graphql/ package."""

import graphene

from domains.graphql.queries import DomainQuery
from loom_portal.graphql.queries import CoreQuery


class Query(CoreQuery, DomainQuery, graphene.ObjectType):
    pass


schema = graphene.Schema(query=Query)
