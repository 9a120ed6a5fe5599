"""The one authorization policy (DESIGN.md §3).

Each app registers its rules in its ``policies.py``. A rule for a model is a
*Q-builder*: given the actor it returns a ``Q`` over that model, so one
definition answers both "may this actor do X to this object?" (``can``) and
"which objects may this actor do X to?" (``restrict``). A rule without a model
is a role check and returns a bool.

Every queryset is scoped to the actor's tenant before the rule's Q is applied,
and everything fails closed: an anonymous or inactive actor, an unknown
permission or a user without a tenant sees nothing.

Superusers are the deployment's operators (created with ``createsuperuser``),
not tenant members; they pass every rule, across tenants.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.db.models import Model, Q, QuerySet
from django.http import Http404

ALL = Q()
NOTHING = Q(pk__in=[])


@dataclass(frozen=True)
class Rule:
    perm: str
    builder: Callable  # (actor) -> Q for model rules, (actor) -> bool for role rules
    model: type[Model] | None = None
    tenant_field: str | None = "tenant"
    # The permission that decides whether the object is visible at all: when it
    # fails, ``require`` answers 404 rather than 403.
    visible_via: str | None = None


_rules: dict[str, Rule] = {}


def register(perm: str, *, model: type[Model] | None = None, tenant_field: str | None = "tenant", visible_via=None):
    """Decorator: register ``builder`` as the rule for ``perm``."""

    def decorator(builder):
        if perm in _rules and _rules[perm].builder.__qualname__ != builder.__qualname__:
            raise ImproperlyConfigured(f"authz: {perm} is registered twice")
        _rules[perm] = Rule(perm, builder, model, tenant_field, visible_via)
        return builder

    return decorator


def rule_for(perm: str) -> Rule:
    try:
        return _rules[perm]
    except KeyError:
        raise ImproperlyConfigured(f"authz: no rule is registered for {perm!r}") from None


def registered_permissions() -> list[str]:
    return sorted(_rules)


def _is_member(actor) -> bool:
    return bool(actor is not None and actor.is_authenticated and actor.is_active)


def restrict(qs: QuerySet, actor, perm: str) -> QuerySet:
    """``qs`` narrowed to the rows ``actor`` may ``perm``: tenant first, then the rule."""
    rule = rule_for(perm)
    if rule.model is None:
        raise ImproperlyConfigured(f"authz: {perm} is a role rule; use can()")
    if not issubclass(qs.model, rule.model):
        raise ImproperlyConfigured(f"authz: {perm} is for {rule.model.__name__}, not {qs.model.__name__}")
    if not _is_member(actor):
        return qs.none()
    if actor.is_superuser:
        return qs
    if actor.tenant_id is None:
        return qs.none()
    if rule.tenant_field:
        qs = qs.filter(**{rule.tenant_field: actor.tenant_id})
    return qs.filter(rule.builder(actor))


def can(actor, perm: str, obj: Model | None = None) -> bool:
    """Whether ``actor`` may ``perm`` (on ``obj`` for model rules)."""
    rule = rule_for(perm)
    if not _is_member(actor):
        return False
    if rule.model is None:
        if obj is not None:
            raise ImproperlyConfigured(f"authz: {perm} is a role rule and takes no object")
        return bool(actor.is_superuser or (actor.tenant_id is not None and rule.builder(actor)))
    if obj is None:
        raise ImproperlyConfigured(f"authz: {perm} needs an object")
    if obj.pk is None:
        return False
    if not actor.is_superuser and rule.tenant_field and _tenant_id_of(obj, rule.tenant_field) != actor.tenant_id:
        return False
    return restrict(type(obj)._default_manager.filter(pk=obj.pk), actor, perm).exists()


def require(actor, perm: str, obj: Model | None = None) -> None:
    """Raise ``Http404`` when ``obj`` is hidden from ``actor``, ``PermissionDenied`` when visible but not allowed."""
    rule = rule_for(perm)
    if obj is not None and rule.visible_via and not can(actor, rule.visible_via, obj):
        raise Http404("Not found")
    if not can(actor, perm, obj):
        if obj is not None and not rule.visible_via:
            # The rule is itself the visibility rule.
            raise Http404("Not found")
        raise PermissionDenied(f"You do not have permission to {_describe(perm)}.")


def _tenant_id_of(obj: Model, tenant_field: str):
    if tenant_field == "pk":
        return obj.pk
    value = obj
    parts = tenant_field.split("__")
    for part in parts[:-1]:
        value = getattr(value, part)
        if value is None:
            return None
    return getattr(value, parts[-1] + "_id")


def _describe(perm: str) -> str:
    return perm.split(".", 1)[-1].replace("_", " ")
