import graphene


class TenantType(graphene.ObjectType):
    name = graphene.String(required=True)
    slug = graphene.String(required=True)


class ViewerType(graphene.ObjectType):
    """The signed-in user, their tenant and their portal roles."""

    id = graphene.ID(required=True)
    email = graphene.String(required=True)
    name = graphene.String(required=True)
    tenant = graphene.Field(TenantType)
    roles = graphene.List(graphene.NonNull(graphene.String), required=True)

    @staticmethod
    def from_user(user):
        tenant = TenantType(name=user.tenant.name, slug=user.tenant.slug) if user.tenant_id else None
        return ViewerType(id=user.pk, email=user.email, name=str(user), tenant=tenant, roles=list(user.roles))
