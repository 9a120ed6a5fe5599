"""Allocation rules (platform owners, in the back office): how unallocated cost is split across domains.

At most one enabled rule covers a month. Shares are given as domain slugs with, for the
fixed method, a percentage each; the percentages must sum to 100.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q

from chargeback.choices import AllocationMethod
from chargeback.models import AllocationRule, AllocationShare
from domains import selectors as domain_selectors
from loom_portal import audit, authz

HUNDRED = Decimal("100")


def parse_shares(text: str) -> list[tuple[str, Decimal | None]]:
    """``"finance=50, hr=30"`` or ``"finance hr"`` → [(slug, percent or None)]; ValidationError names ``shares``."""
    shares = []
    for n, part in enumerate([p for p in re.split(r"[\s,;]+", text or "") if p], start=1):
        slug, sep, percent = part.partition("=")
        value = None
        if sep:
            try:
                value = Decimal(percent.rstrip("%"))
            except InvalidOperation:
                raise ValidationError({"shares": f"Share {n}: {percent!r} is not a percentage."}) from None
        shares.append((slug.strip(), value))
    return shares


def _month(value) -> dt.date | None:
    return value.replace(day=1) if isinstance(value, dt.date) else value


def _clean_rule(*, tenant, name, method, valid_from, valid_to, enabled, shares, rule=None):
    errors = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = "An allocation rule needs a name."
    elif AllocationRule.objects.filter(tenant=tenant, name__iexact=name).exclude(pk=getattr(rule, "pk", None)).exists():
        errors["name"] = f"A rule named {name!r} already exists."
    if method not in AllocationMethod.values:
        errors["method"] = f"Choose one of: {', '.join(AllocationMethod.values)}."
    valid_from, valid_to = _month(valid_from), _month(valid_to)
    if not isinstance(valid_from, dt.date):
        errors["valid_from"] = "Enter the first month the rule applies to (YYYY-MM-DD)."
    if valid_to is not None and not isinstance(valid_to, dt.date):
        errors["valid_to"] = "Enter the last month (YYYY-MM-DD) or leave it empty."
    elif valid_to is not None and isinstance(valid_from, dt.date) and valid_to < valid_from:
        errors["valid_to"] = f"The rule ends ({valid_to:%Y-%m}) before it starts ({valid_from:%Y-%m})."

    resolved: list[tuple[object, Decimal | None]] = []
    seen = set()
    for slug, percent in shares or []:
        domain = domain_selectors.domain_match(tenant=tenant, tag_value=slug)
        if domain is None:
            errors["shares"] = f"No domain with the slug {slug!r}."
            break
        if domain.pk in seen:
            errors["shares"] = f"{slug!r} is listed twice."
            break
        seen.add(domain.pk)
        resolved.append((domain, percent))
    if "shares" not in errors and method == AllocationMethod.FIXED:
        if not resolved or any(p is None for _, p in resolved):
            errors["shares"] = "The fixed method needs a percentage for every domain (slug=percent)."
        elif any(p <= 0 for _, p in resolved):
            errors["shares"] = "Every percentage must be above 0."
        elif sum(p for _, p in resolved) != HUNDRED:
            errors["shares"] = f"The percentages sum to {sum(p for _, p in resolved)}, not 100."
    elif "shares" not in errors and any(p is not None for _, p in resolved):
        errors["shares"] = "Percentages are only for the fixed method; list the domain slugs alone."

    if enabled and not errors:
        overlap = AllocationRule.objects.filter(tenant=tenant, enabled=True).exclude(pk=getattr(rule, "pk", None))
        overlap = overlap.filter(Q(valid_to__isnull=True) | Q(valid_to__gte=valid_from))
        if valid_to is not None:
            overlap = overlap.filter(valid_from__lte=valid_to)
        clash = overlap.first()
        if clash is not None:
            errors["valid_from"] = f"The enabled rule {clash.name!r} already covers these months."
    if errors:
        raise ValidationError(errors)
    return name, valid_from, valid_to, resolved


def _write_shares(rule, resolved):
    rule.shares.all().delete()
    AllocationShare.objects.bulk_create(
        [AllocationShare(rule=rule, domain=domain, percent=percent) for domain, percent in resolved]
    )


@transaction.atomic
def allocation_rule_create(
    *, actor, name: str, method: str, valid_from, valid_to=None, enabled: bool = True, shares=(),
) -> AllocationRule:
    authz.require(actor, "chargeback.add_allocationrule")
    tenant = actor.tenant
    name, valid_from, valid_to, resolved = _clean_rule(
        tenant=tenant, name=name, method=method, valid_from=valid_from, valid_to=valid_to, enabled=enabled,
        shares=shares,
    )
    try:
        with transaction.atomic():
            rule = AllocationRule.objects.create(
                tenant=tenant, name=name, method=method, valid_from=valid_from, valid_to=valid_to, enabled=enabled
            )
    except IntegrityError:
        raise ValidationError({"name": f"A rule named {name!r} already exists."}) from None
    _write_shares(rule, resolved)
    audit.record(actor=actor, action="chargeback.allocation_rule.created", target=rule, data={"method": method})
    return rule


@transaction.atomic
def allocation_rule_update(
    *, actor, rule: AllocationRule, name: str, method: str, valid_from, valid_to=None, enabled: bool = True, shares=(),
) -> AllocationRule:
    authz.require(actor, "chargeback.change_allocationrule", rule)
    rule = AllocationRule.objects.select_for_update().get(pk=rule.pk)
    name, valid_from, valid_to, resolved = _clean_rule(
        tenant=rule.tenant, name=name, method=method, valid_from=valid_from, valid_to=valid_to, enabled=enabled,
        shares=shares, rule=rule,
    )
    AllocationRule.objects.filter(pk=rule.pk).update(
        name=name, method=method, valid_from=valid_from, valid_to=valid_to, enabled=enabled
    )
    rule.refresh_from_db()
    _write_shares(rule, resolved)
    audit.record(actor=actor, action="chargeback.allocation_rule.updated", target=rule, data={"method": method})
    return rule


@transaction.atomic
def allocation_rule_delete(*, actor, rule: AllocationRule) -> None:
    authz.require(actor, "chargeback.delete_allocationrule", rule)
    audit.record(actor=actor, action="chargeback.allocation_rule.deleted", target=rule, data={"name": rule.name})
    rule.delete()
