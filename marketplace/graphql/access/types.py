"""Access types. Resolvers read only what the selectors fetched (``access_request_list``, ``grant_list`` and
the ``viewer_access`` part of ``product_prefetch``), so a page costs the same queries whatever its size.

A related product is a ``ProductRef`` (slug and name; follow it with ``product(slug)``): the request and
grant lists do not fetch products' tags, people or columns.
"""

from __future__ import annotations

import graphene
from graphene import relay
from graphene_django import DjangoObjectType

from loom_portal.graphql.types import PersonType
from marketplace.choices import AccessRequestStatus, ApprovalStep, GrantStatus
from marketplace.graphql.types import ProductRefType
from marketplace.models import AccessApproval, AccessRequest, ApiKey, Grant
from marketplace.services.access import next_step

AccessRequestStatusEnum = graphene.Enum.from_enum(
    AccessRequestStatus, name="AccessRequestStatus", description="requested → approved | denied | withdrawn."
)
GrantStatusEnum = graphene.Enum.from_enum(
    GrantStatus, name="GrantStatus",
    description="pending → active → expired | revoked; FAILED when the engine did not enforce the scope.",
)
ApprovalStepEnum = graphene.Enum.from_enum(
    ApprovalStep, name="ApprovalStep",
    description="STEWARD first; Highly Confidential products also need a DOMAIN_OWNER.",
)


class ScopeEntryType(graphene.ObjectType):
    """Rows allowed: those whose `column` holds one of `values`."""

    class Meta:
        name = "ScopeEntry"

    column = graphene.String(required=True)
    values = graphene.List(graphene.NonNull(graphene.String), required=True)


def scope_entries(scope: dict) -> list[ScopeEntryType]:
    return [ScopeEntryType(column=column, values=values) for column, values in sorted((scope or {}).items())]


def _product_ref(obj) -> ProductRefType:
    return ProductRefType(slug=obj.product.slug, name=obj.product.name)


def _person(user):
    return PersonType.from_user(user) if user is not None else None


class ApprovalType(DjangoObjectType):
    """One approval step given on a request."""

    step = graphene.Field(ApprovalStepEnum, required=True)
    approver = graphene.Field(PersonType, required=True)

    class Meta:
        model = AccessApproval
        name = "AccessApproval"
        fields = ["note", "created_at"]

    def resolve_approver(approval, info):
        return _person(approval.approver)


class AccessRequestType(DjangoObjectType):
    """A request for rows of a product: asked by `requester`, decided by the product's stewards."""

    product = graphene.Field(ProductRefType, required=True)
    requester = graphene.Field(PersonType, required=True)
    status = graphene.Field(AccessRequestStatusEnum, required=True)
    scope = graphene.List(graphene.NonNull(ScopeEntryType), required=True, description="Empty: all rows.")
    scope_summary = graphene.String(required=True, description='E.g. "region in EMEA", or "All rows".')
    approvals = graphene.List(graphene.NonNull(ApprovalType), required=True)
    next_step = graphene.Field(ApprovalStepEnum, description="The approval still missing; null once decided.")
    decided_by = graphene.Field(PersonType)
    grant_id = graphene.ID(description="The grant an approval created (see `grants`).")

    class Meta:
        model = AccessRequest
        name = "AccessRequest"
        fields = ["id", "purpose", "duration_days", "approvals_required", "decision_reason", "decided_at",
                  "created_at"]

    def resolve_product(request, info):
        return _product_ref(request)

    def resolve_requester(request, info):
        return _person(request.requester)

    def resolve_decided_by(request, info):
        return _person(request.decided_by)

    def resolve_scope(request, info):
        return scope_entries(request.scope)

    def resolve_scope_summary(request, info):
        return request.scope_display

    def resolve_approvals(request, info):
        return request.approvals.all()  # prefetched by access_request_list

    def resolve_next_step(request, info):
        return next_step(request) if request.is_open else None

    def resolve_grant_id(request, info):
        grant = getattr(request, "grant", None)  # joined by access_request_list
        return grant.pk if grant is not None else None


class ApiKeyType(DjangoObjectType):
    """A data-API key of the viewer. The key itself is shown once, by `createApiKey`; only a hash is stored."""

    active = graphene.Boolean(required=True, description="False once revoked.")

    class Meta:
        model = ApiKey
        name = "ApiKey"
        fields = ["id", "name", "prefix", "created_at", "last_used_at", "revoked_at"]

    def resolve_active(key, info):
        return key.is_active


class GrantType(DjangoObjectType):
    """Access to rows of a product, as the data engine enforces it, until `expiresAt`."""

    product = graphene.Field(ProductRefType, required=True)
    grantee = graphene.Field(PersonType, required=True)
    status = graphene.Field(GrantStatusEnum, required=True)
    scope = graphene.List(graphene.NonNull(ScopeEntryType), required=True, description="Empty: all rows.")
    scope_summary = graphene.String(required=True)
    request_id = graphene.ID(required=True, description="The access request this grant answers.")
    api_keys = graphene.List(graphene.NonNull(ApiKeyType), required=True,
                             description="The viewer's own keys for this grant (only its consumer has any).")

    class Meta:
        model = Grant
        name = "Grant"
        fields = ["id", "engine", "status_reason", "expires_at", "activated_at", "ended_at", "verified_at",
                  "last_used_at", "created_at"]

    def resolve_product(grant, info):
        return _product_ref(grant)

    def resolve_grantee(grant, info):
        return _person(grant.grantee)

    def resolve_scope(grant, info):
        return scope_entries(grant.scope)

    def resolve_scope_summary(grant, info):
        return grant.scope_display

    def resolve_request_id(grant, info):
        return grant.request_id

    def resolve_api_keys(grant, info):
        viewer = info.context.user
        return [key for key in grant.api_keys.all() if key.user_id == viewer.pk]  # prefetched by grant_list


class ViewerAccessState(graphene.Enum):
    """Where the viewer stands with a product: the newest live grant's status, else an open request, else none."""

    NONE = "none"
    REQUESTED = "requested"
    PENDING = "pending"
    ACTIVE = "active"
    FAILED = "failed"


def _open_request(product):
    return next(iter(product.viewer_open_requests), None)


def _live_grant(product):
    return next(iter(product.viewer_live_grants), None)


class ViewerAccessType(graphene.ObjectType):
    """The viewer's own access to a product (what the product page shows them). Resolved on the product, which
    a selector fetched with the viewer's open requests and live grants (``product_viewer_access`` or the
    ``viewer_access`` part of ``product_prefetch``)."""

    class Meta:
        name = "ViewerAccess"

    state = graphene.Field(ViewerAccessState, required=True)
    can_request = graphene.Boolean(
        required=True, description="The product takes requests from the viewer (published and not hidden)."
    )
    open_request = graphene.Field(AccessRequestType, description="The viewer's request awaiting a decision.")
    grant = graphene.Field(GrantType, description="The viewer's newest live (pending, active or failed) grant.")
    scope = graphene.List(graphene.NonNull(ScopeEntryType),
                          description="The grant's scope, else the open request's; null with neither.")
    expires_at = graphene.DateTime(description="When the grant ends.")

    def resolve_open_request(product, info):
        return _open_request(product)

    def resolve_grant(product, info):
        return _live_grant(product)

    def resolve_state(product, info):
        grant = _live_grant(product)
        if grant is not None:
            return grant.status
        return ViewerAccessState.REQUESTED if _open_request(product) is not None else ViewerAccessState.NONE

    def resolve_can_request(product, info):
        return product.viewer_can_request

    def resolve_scope(product, info):
        current = _live_grant(product) or _open_request(product)
        return scope_entries(current.scope) if current is not None else None

    def resolve_expires_at(product, info):
        grant = _live_grant(product)
        return grant.expires_at if grant is not None else None


class UsageDayType(graphene.ObjectType):
    class Meta:
        name = "UsageDay"

    day = graphene.Date(required=True)
    calls = graphene.Int(required=True)


class ProductUsageType(graphene.ObjectType):
    """A product's usage, as its page shows it to everyone who sees the product."""

    class Meta:
        name = "ProductUsage"

    subscribers = graphene.Int(required=True, description="Consumers with an active grant.")
    open_requests = graphene.Int(required=True, description="Requests awaiting a decision.")
    calls_30d = graphene.Int(required=True, description="Data-API calls in the last 30 days.")
    daily = graphene.List(graphene.NonNull(UsageDayType), required=True,
                          description="Data-API calls per day, the last 30 days, oldest first (zeros included).")


class AccessRequestConnection(relay.Connection):
    class Meta:
        node = AccessRequestType

    total_count = graphene.Int(required=True)

    def resolve_total_count(connection, info):
        return connection.matching.count()


class GrantConnection(relay.Connection):
    class Meta:
        node = GrantType

    total_count = graphene.Int(required=True)

    def resolve_total_count(connection, info):
        return connection.matching.count()
