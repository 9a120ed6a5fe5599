"""Access mutations: the services REST and the pages call, answered with typed errors.

Each finds its object through a selector (another tenant's or a hidden object is NOT_FOUND), requires the
permission REST and the services check (a visible object the viewer may not act on is PERMISSION_DENIED)
and calls the service, whose refusals are INVALID errors naming the argument. Nothing is written before
those checks pass, and the mutation runs in one transaction.
"""

from __future__ import annotations

import graphene
from django.http import Http404

from loom_portal.graphql.errors import invalid
from loom_portal.graphql.mutations import ServiceMutation
from marketplace import selectors
from marketplace.graphql.access.types import AccessRequestType, ApiKeyType, GrantType
from marketplace.services import access, grants


def _pk(value) -> int:
    """A database id from an ``ID`` argument; anything else names nothing (NOT_FOUND)."""
    text = str(value).strip()
    if not text.isdigit() or len(text) > 18:
        raise Http404
    return int(text)


class ScopeInput(graphene.InputObjectType):
    """Rows asked for: those whose `column` (one the product marks scopable) holds one of `values`."""

    column = graphene.String(required=True)
    values = graphene.List(graphene.NonNull(graphene.String), required=True)


# --- Requests ---------------------------------------------------------------------------------------------


class _AccessRequestMutation(ServiceMutation):
    class Meta:
        abstract = True

    noun = "access request"

    access_request = graphene.Field(AccessRequestType, description="The request after the change; null when refused.")

    @classmethod
    def find(cls, actor, pk):
        return selectors.access_request_get(actor=actor, pk=_pk(pk))

    @classmethod
    def answer(cls, actor, obj, result):
        return {"access_request": selectors.access_request_get(actor=actor, pk=result.pk)}


class RequestAccess(_AccessRequestMutation):
    """Ask for rows of a product: a purpose, a scope on its scopable columns (none: all rows) and a duration."""

    class Meta:
        name = "RequestAccessPayload"

    perm = "marketplace.request_access"
    key_argument = "slug"
    noun = "data product"

    class Arguments:
        slug = graphene.String(required=True, description="The product's slug.")
        purpose = graphene.String(required=True, description="What the data is for (10 to 2,000 characters).")
        scope = graphene.List(graphene.NonNull(ScopeInput), description="Absent or empty: all rows.")
        duration_days = graphene.Int(required=True, description="1 to 365 days (less for sensitive products).")

    @classmethod
    def find(cls, actor, slug):
        return selectors.product_get(actor=actor, slug=slug)

    @classmethod
    def change(cls, actor, product, purpose, scope, duration_days):
        return access.access_request_create(actor=actor, product=product, purpose=purpose, scope=scope,
                                            duration_days=duration_days)

    @classmethod
    def mutate(cls, root, info, slug, purpose, duration_days, scope=None):
        by_column = {}
        for entry in scope or ():
            if entry.column in by_column:
                return cls(errors=invalid("scope", f"Column {entry.column!r} is given twice; list its values once."))
            by_column[entry.column] = list(entry.values)
        return cls.run(info, slug, purpose=purpose, scope=by_column, duration_days=duration_days)


class ApproveAccessRequest(_AccessRequestMutation):
    """Give the next approval (steward, then a domain owner for Highly Confidential); the last creates the grant."""

    class Meta:
        name = "ApproveAccessRequestPayload"

    perm = "marketplace.review_accessrequest"

    class Arguments:
        id = graphene.ID(required=True)
        note = graphene.String()

    @classmethod
    def change(cls, actor, request, note):
        return access.access_request_approve(actor=actor, request=request, note=note)

    @classmethod
    def mutate(cls, root, info, id, note=""):
        return cls.run(info, id, note=note or "")


class DenyAccessRequest(_AccessRequestMutation):
    """Deny a request; the reason (required) is shown to the requester."""

    class Meta:
        name = "DenyAccessRequestPayload"

    perm = "marketplace.review_accessrequest"

    class Arguments:
        id = graphene.ID(required=True)
        reason = graphene.String(required=True)

    @classmethod
    def change(cls, actor, request, reason):
        return access.access_request_deny(actor=actor, request=request, reason=reason)

    @classmethod
    def mutate(cls, root, info, id, reason):
        return cls.run(info, id, reason=reason)


class WithdrawAccessRequest(_AccessRequestMutation):
    """The requester withdraws their open request."""

    class Meta:
        name = "WithdrawAccessRequestPayload"

    perm = "marketplace.withdraw_accessrequest"

    class Arguments:
        id = graphene.ID(required=True)

    @classmethod
    def change(cls, actor, request):
        return access.access_request_withdraw(actor=actor, request=request)

    @classmethod
    def mutate(cls, root, info, id):
        return cls.run(info, id)


# --- Grants and keys ------------------------------------------------------------------------------------------


class _GrantMutation(ServiceMutation):
    class Meta:
        abstract = True

    noun = "grant"

    grant = graphene.Field(GrantType, description="The grant after the change; null when refused.")

    @classmethod
    def find(cls, actor, pk):
        return selectors.grant_get(actor=actor, pk=_pk(pk))

    @classmethod
    def answer(cls, actor, obj, result):
        return {"grant": selectors.grant_get(actor=actor, pk=obj.pk)}


class RevokeGrant(_GrantMutation):
    """End a live grant now: the product's stewards (a reason is required), or its consumer giving it up."""

    class Meta:
        name = "RevokeGrantPayload"

    # Stewards and the consumer both may; the service decides which rule applies (as REST does).
    perm = "marketplace.view_grant"

    class Arguments:
        id = graphene.ID(required=True)
        reason = graphene.String()

    @classmethod
    def change(cls, actor, grant, reason):
        return grants.grant_revoke(actor=actor, grant=grant, reason=reason)

    @classmethod
    def mutate(cls, root, info, id, reason=""):
        return cls.run(info, id, reason=reason or "")


class RenewGrant(_GrantMutation):
    """Extend a live grant by `days` from its expiry (never past the sensitivity label's maximum from today)."""

    class Meta:
        name = "RenewGrantPayload"

    perm = "marketplace.manage_grant"

    class Arguments:
        id = graphene.ID(required=True)
        days = graphene.Int(required=True)

    @classmethod
    def change(cls, actor, grant, days):
        return grants.grant_renew(actor=actor, grant=grant, days=days)

    @classmethod
    def mutate(cls, root, info, id, days):
        return cls.run(info, id, days=days)


class CreateApiKey(ServiceMutation):
    """A data-API key for the viewer's own active grant. `key` is in this payload only: only a hash is kept."""

    class Meta:
        name = "CreateApiKeyPayload"

    perm = "marketplace.view_grant"
    key_argument = "grantId"
    noun = "grant"

    api_key = graphene.Field(ApiKeyType)
    key = graphene.String(description="The key itself, shown this once. Send it as `X-Api-Key` to the data API.")

    class Arguments:
        grant_id = graphene.ID(required=True)
        name = graphene.String(description="To tell your keys apart (at most 100 characters).")

    @classmethod
    def find(cls, actor, pk):
        return selectors.grant_get(actor=actor, pk=_pk(pk))

    @classmethod
    def change(cls, actor, grant, name):
        return grants.api_key_create(actor=actor, grant=grant, name=name)

    @classmethod
    def answer(cls, actor, grant, issued):
        return {"api_key": issued.key, "key": issued.plaintext}

    @classmethod
    def mutate(cls, root, info, grant_id, name=""):
        return cls.run(info, grant_id, name=name or "")


class AccessMutation(graphene.ObjectType):
    request_access = RequestAccess.Field()
    approve_access_request = ApproveAccessRequest.Field()
    deny_access_request = DenyAccessRequest.Field()
    withdraw_access_request = WithdrawAccessRequest.Field()
    revoke_grant = RevokeGrant.Field()
    renew_grant = RenewGrant.Field()
    create_api_key = CreateApiKey.Field()
