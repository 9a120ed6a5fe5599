"""GraphQL fixtures: a client helper that posts a query the way a portal does, as a given user."""

import json

import pytest

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


__all__ = ["make_product"]
