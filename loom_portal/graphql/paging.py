"""Forward-only Relay paging over a selector's ordered queryset (offset cursors, the graphql-relay format)."""

from __future__ import annotations

import graphene
from graphql import GraphQLError
from graphql_relay import cursor_to_offset, offset_to_cursor

from loom_portal.graphql.limits import check_page_size

#: Cursors beyond this are refused rather than sent to the database as an OFFSET.
MAX_OFFSET = 10_000_000


def offset_after(after: str | None) -> int:
    """The offset of the first item after the cursor ``after`` (0 without one)."""
    if not after:
        return 0
    offset = cursor_to_offset(after)
    if offset is None or not 0 <= offset < MAX_OFFSET:
        raise GraphQLError("after is not a cursor from this list; pass a pageInfo.endCursor or edge cursor.",
                           extensions={"code": "INVALID_ARGUMENT", "field": "after"})
    return offset + 1


def fetch_page(qs, first: int | None, after: str | None) -> tuple[list, int, bool]:
    """(the page's items, the offset of the first, whether more follow): one query, one extra row."""
    size = check_page_size(first)
    offset = offset_after(after)
    window = list(qs[offset:offset + size + 1])
    return window[:size], offset, len(window) > size


def connection_of(connection_type, items: list, offset: int, has_next: bool):
    """A ``connection_type`` holding ``items`` (fetched with ``fetch_page``)."""
    edges = [connection_type.Edge(node=item, cursor=offset_to_cursor(offset + i)) for i, item in enumerate(items)]
    return connection_type(
        edges=edges,
        page_info=graphene.relay.PageInfo(
            has_next_page=has_next,
            has_previous_page=offset > 0,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
    )
