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


class PersonType(graphene.ObjectType):
    """A member of the tenant as others see them (e.g. a product's owners and stewards)."""

    class Meta:
        name = "Person"

    email = graphene.String(required=True)
    name = graphene.String(required=True)

    @staticmethod
    def from_user(user):
        return PersonType(email=user.email, name=user.get_full_name() or user.email)


class ErrorCode(graphene.Enum):
    """Why a mutation did nothing."""

    NOT_FOUND = "not_found"
    PERMISSION_DENIED = "permission_denied"
    INVALID = "invalid"


class FieldError(graphene.ObjectType):
    """One reason a mutation was refused. `field` names the argument at fault (camelCase), or is null."""

    field = graphene.String()
    code = graphene.Field(ErrorCode, required=True)
    message = graphene.String(required=True)
