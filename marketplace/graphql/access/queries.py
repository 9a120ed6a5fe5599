"""Access queries: ``accessRequests`` and ``grants``, a page at a time, through the access selectors.

The selectors restrict by policy (``authz.restrict``) and fetch what the types read, so a page costs the
same queries whatever its size. Status and role are enums: GraphQL refuses an unknown value with an
error naming the argument before anything runs.
"""

from __future__ import annotations

import graphene

from loom_portal.graphql.paging import connection_of, fetch_page
from marketplace import selectors
from marketplace.graphql.access.types import (
    AccessRequestConnection,
    AccessRequestStatusEnum,
    GrantConnection,
    GrantStatusEnum,
)


class AccessRequestRole(graphene.Enum):
    """Whose requests: MINE (asked by the viewer) or TO_REVIEW (the viewer's to decide: never their own)."""

    MINE = "mine"
    TO_REVIEW = "to_review"


class GrantRole(graphene.Enum):
    """MINE: the viewer's own grants (without it, also the grants of the products they steward)."""

    MINE = "mine"


def _value(choice) -> str:
    """An enum argument's value ("" when absent)."""
    return getattr(choice, "value", choice) or ""


def _page(connection_type, qs, first, after):
    connection = connection_of(connection_type, *fetch_page(qs, first, after))
    connection.matching = qs
    return connection


class AccessQuery(graphene.ObjectType):
    access_requests = graphene.Field(
        AccessRequestConnection,
        role=AccessRequestRole(description="Without it: every request you may see."),
        status=AccessRequestStatusEnum(),
        first=graphene.Int(description="Page size, 1 to 100 (20 when absent)."),
        after=graphene.String(description="The endCursor of the previous page."),
        required=True,
        description="Access requests you may see: newest first; TO_REVIEW oldest first, like the steward queue.",
    )
    grants = graphene.Field(
        GrantConnection,
        role=GrantRole(),
        status=GrantStatusEnum(),
        first=graphene.Int(description="Page size, 1 to 100 (20 when absent)."),
        after=graphene.String(description="The endCursor of the previous page."),
        required=True,
        description="Grants you may see (yours, and those of the products you steward), newest first.",
    )

    def resolve_access_requests(root, info, role=None, status=None, first=None, after=None):
        role = _value(role)
        qs = selectors.access_request_list(actor=info.context.user, mine=role == "mine",
                                           to_review=role == "to_review", status=_value(status))
        if role == "to_review":
            qs = qs.order_by("created_at", "id")
        return _page(AccessRequestConnection, qs, first, after)

    def resolve_grants(root, info, role=None, status=None, first=None, after=None):
        qs = selectors.grant_list(actor=info.context.user, mine=_value(role) == "mine", status=_value(status))
        return _page(GrantConnection, qs, first, after)
