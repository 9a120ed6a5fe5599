"""The authorization matrix: every door (pages, REST, GraphQL, admin) must agree with authz.

A *door* is a function ``(client, obj) -> bool`` that answers "could this client
see ``obj`` through this door?" by making the real request. ``assert_doors_agree``
signs in as each actor and checks that every door's answer equals the policy's
``authz.can(actor, perm, obj)``, and that it equals the expectation the test
states, so a policy change that no test expected fails loudly.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from loom_portal import authz

Door = Callable[[object, object], bool]


def page_door(url_for: Callable[[object], str]) -> Door:
    def door(client, obj):
        status = client.get(url_for(obj)).status_code
        assert status in (200, 403, 404), f"page answered {status}"
        return status == 200

    door.__name__ = "page"
    return door


def rest_door(url_for: Callable[[object], str]) -> Door:
    def door(client, obj):
        response = client.get(url_for(obj), HTTP_ACCEPT="application/json")
        assert response.status_code in (200, 403, 404), f"REST answered {response.status_code}"
        return response.status_code == 200

    door.__name__ = "rest"
    return door


def graphql_door(query: str, variables_for: Callable[[object], dict], field: str) -> Door:
    def door(client, obj):
        response = client.post(
            "/graphql/", json.dumps({"query": query, "variables": variables_for(obj)}), content_type="application/json"
        )
        assert response.status_code == 200, f"GraphQL answered {response.status_code}"
        body = response.json()
        assert "errors" not in body, body
        return body["data"][field] is not None

    door.__name__ = "graphql"
    return door


def admin_door(url_for: Callable[[object], str]) -> Door:
    def door(client, obj):
        response = client.get(url_for(obj))
        # Not staff: redirected to the admin login. Staff without access to this object:
        # redirected to the admin index ("doesn't exist"). Allowed: 200.
        assert response.status_code in (200, 302, 403), f"admin answered {response.status_code}"
        return response.status_code == 200

    door.__name__ = "admin"
    return door


def assert_doors_agree(signed_in, obj, perm: str, expected: dict, doors: dict[str, Door]):
    """``expected`` maps actor -> bool (may see ``obj``). ``doors`` maps door name -> Door.

    A door may be narrower than the policy only where the test says so: the
    admin door is open to platform owners only, so pass it with its own
    expectations via a second call.
    """
    failures = []
    for actor, allowed in expected.items():
        policy = authz.can(actor, perm, obj)
        if policy != allowed:
            failures.append(f"policy: {actor} {perm} on {obj}: expected {allowed}, policy says {policy}")
        client = signed_in(actor)
        for name, door in doors.items():
            seen = door(client, obj)
            if seen != allowed:
                failures.append(f"{name}: {actor} on {obj}: expected {allowed}, door says {seen}")
        client.logout()
    assert not failures, "\n".join(failures)
