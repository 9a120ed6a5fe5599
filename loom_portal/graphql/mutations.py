"""The shape every mutation shares: find the object through a selector, check the declared permission,
call the service, answer the changed object or typed errors (never raise for a refusal).

The services check the policy again before writing and run in a transaction, so a refused mutation
changes nothing.
"""

from __future__ import annotations

import graphene

from loom_portal import authz
from loom_portal.graphql.errors import REPORTED, mutation_errors
from loom_portal.graphql.types import FieldError


class ServiceMutation(graphene.Mutation):
    """Subclasses set ``perm`` (checked with ``authz.require`` on the object found), ``key_argument`` (the
    argument naming the object, reported on NOT_FOUND) and ``noun``, and define ``find``, ``change`` and
    ``answer``."""

    class Meta:
        abstract = True

    perm: str = ""
    key_argument: str = "id"
    noun: str = "object"

    errors = graphene.List(graphene.NonNull(FieldError), required=True)

    @classmethod
    def find(cls, actor, key_value):  # pragma: no cover - each mutation defines it
        """The object ``key_value`` names, through a selector (``Http404`` when hidden or missing)."""
        raise NotImplementedError

    @classmethod
    def change(cls, actor, obj, **arguments):  # pragma: no cover - each mutation defines it
        """Call the service; what it returns is passed to ``answer``."""
        raise NotImplementedError

    @classmethod
    def answer(cls, actor, obj, result) -> dict:  # pragma: no cover - each mutation defines it
        """The payload's fields after a successful change."""
        raise NotImplementedError

    @classmethod
    def run(cls, info, key_value, **arguments):
        actor = info.context.user
        try:
            obj = cls.find(actor, key_value)
            authz.require(actor, cls.perm, obj)
            result = cls.change(actor, obj, **arguments)
        except REPORTED as exc:
            return cls(errors=mutation_errors(exc, not_found_field=cls.key_argument,
                                              not_found=f"No {cls.noun} {key_value!r} is visible to you."))
        return cls(errors=[], **cls.answer(actor, obj, result))
