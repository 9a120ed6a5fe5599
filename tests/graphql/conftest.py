"""GraphQL fixtures: a client helper that posts a query the way a portal does, as a given user, and
access requests and grants reached through the real services."""

import json

import pytest

from marketplace.services import access, grants
from tests import factories
from tests.marketplace.conftest import make_product, product, product_owner, product_steward  # noqa: F401


@pytest.fixture
def gql(signed_in):
    """``gql(user, query, **variables)`` posts to /graphql/ signed in as ``user`` and returns the JSON body.

    A query GraphQL refuses before running it (invalid, over a limit) is answered with 400: pass
    ``status_=400``."""

    def run(user, query, status_=200, **variables):
        client = signed_in(user)
        response = client.post("/graphql/", json.dumps({"query": query, "variables": variables}),
                               content_type="application/json")
        assert response.status_code == status_, response.content
        return response.json()

    return run


def ask(consumer, data_product, **changes):
    """``consumer``'s request for the EMEA rows of ``data_product`` for 30 days, through the service."""
    arguments = {"purpose": "Quarter-end revenue review", "scope": {"region": ["EMEA"]}, "duration_days": 30,
                 **changes}
    return access.access_request_create(actor=consumer, product=data_product, **arguments)


def grant_for(steward, consumer, data_product, **changes):
    """An active grant of ``consumer`` on ``data_product``: asked (see ``ask``), approved and (no RLS engine serves
    the test product) confirmed applied by the steward, as the grant page does."""
    request = access.access_request_approve(actor=steward, request=ask(consumer, data_product, **changes))
    return grants.grant_confirm_applied(actor=steward, grant=request.grant)


@pytest.fixture
def other_consumer(tenant):
    """A second consumer of the same tenant: sees the product, not the first consumer's requests or grants."""
    return factories.make_user(tenant, "analyst@contoso.example")


@pytest.fixture
def open_request(consumer, product):  # noqa: F811 - the catalog's product fixture
    return ask(consumer, product)


@pytest.fixture
def active_grant(steward, consumer, product):  # noqa: F811 - the catalog's product fixture
    return grant_for(steward, consumer, product)


__all__ = ["ask", "grant_for", "make_product"]
