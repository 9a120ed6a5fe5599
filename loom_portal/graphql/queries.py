import graphene

from loom_portal.graphql.types import ViewerType


class CoreQuery(graphene.ObjectType):
    viewer = graphene.Field(ViewerType, required=True)

    def resolve_viewer(root, info):
        return ViewerType.from_user(info.context.user)
