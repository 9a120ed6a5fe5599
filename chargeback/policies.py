"""Authorization rules for chargeback (see loom_portal.authz).

Finance sees the tenant's cost; a domain owner sees the cost of the domains they
own (showback); everyone else sees nothing. Unallocated cost (no domain) is
finance's alone. Cost scopes and allocation rules are configured by platform owners.
Budgets are finance's: domain owners see their domains' budgets read-only.
"""

from django.apps import apps
from django.db.models import Q

from chargeback.models import (
    AllocationRule,
    Budget,
    BudgetAlert,
    CostMonth,
    CostRecord,
    CostScope,
    UnmappedTagValue,
)
from domains.choices import DomainRole
from domains.policies import domains_where
from loom_portal import authz


def _owned_domains(actor):
    return domains_where(actor, DomainRole.OWNER)


@authz.register("chargeback.view_reports")
def _view_reports(actor):
    """May open the chargeback pages and REST at all."""
    return actor.is_finance or actor.is_domain_owner


@authz.register("chargeback.view_costrecord", model=CostRecord)
def _view_costrecord(actor):
    if actor.is_finance:
        return authz.ALL
    return Q(domain__in=_owned_domains(actor))


@authz.register("chargeback.view_costmonth", model=CostMonth)
def _view_costmonth(actor):
    """The monthly totals follow the daily rows' rule."""
    if actor.is_finance:
        return authz.ALL
    return Q(domain__in=_owned_domains(actor))


@authz.register(
    "chargeback.view_domain_costs", model=apps.get_model("domains", "Domain"), visible_via="domains.view_domain"
)
def _view_domain_costs(actor):
    if actor.is_finance:
        return authz.ALL
    return Q(pk__in=_owned_domains(actor))


@authz.register("chargeback.view_costscope", model=CostScope)
def _view_costscope(actor):
    return authz.ALL if (actor.is_platform_owner or actor.is_finance) else authz.NOTHING


@authz.register("chargeback.change_costscope", model=CostScope, visible_via="chargeback.view_costscope")
def _change_costscope(actor):
    return authz.ALL if actor.is_platform_owner else authz.NOTHING


@authz.register("chargeback.delete_costscope", model=CostScope, visible_via="chargeback.view_costscope")
def _delete_costscope(actor):
    return authz.ALL if actor.is_platform_owner else authz.NOTHING


@authz.register("chargeback.add_costscope")
def _add_costscope(actor):
    return actor.is_platform_owner


@authz.register("chargeback.view_unmappedtagvalue", model=UnmappedTagValue)
def _view_unmappedtagvalue(actor):
    return authz.ALL if (actor.is_platform_owner or actor.is_finance) else authz.NOTHING


def _budget_of_owned_domains(actor, prefix=""):
    owned = _owned_domains(actor)
    return Q(**{f"{prefix}domain__in": owned}) | Q(**{f"{prefix}workspace__domain__in": owned})


@authz.register("chargeback.view_budget", model=Budget)
def _view_budget(actor):
    if actor.is_finance:
        return authz.ALL
    return _budget_of_owned_domains(actor)


@authz.register("chargeback.add_budget")
def _add_budget(actor):
    return actor.is_finance


@authz.register("chargeback.change_budget", model=Budget, visible_via="chargeback.view_budget")
def _change_budget(actor):
    return authz.ALL if actor.is_finance else authz.NOTHING


@authz.register("chargeback.delete_budget", model=Budget, visible_via="chargeback.view_budget")
def _delete_budget(actor):
    return authz.ALL if actor.is_finance else authz.NOTHING


@authz.register("chargeback.view_budgetalert", model=BudgetAlert)
def _view_budgetalert(actor):
    if actor.is_finance:
        return authz.ALL
    return _budget_of_owned_domains(actor, "budget__")


@authz.register("chargeback.view_allocationrule", model=AllocationRule)
def _view_allocationrule(actor):
    return authz.ALL if (actor.is_platform_owner or actor.is_finance) else authz.NOTHING


@authz.register("chargeback.add_allocationrule")
def _add_allocationrule(actor):
    return actor.is_platform_owner


@authz.register("chargeback.change_allocationrule", model=AllocationRule, visible_via="chargeback.view_allocationrule")
def _change_allocationrule(actor):
    return authz.ALL if actor.is_platform_owner else authz.NOTHING


@authz.register("chargeback.delete_allocationrule", model=AllocationRule, visible_via="chargeback.view_allocationrule")
def _delete_allocationrule(actor):
    return authz.ALL if actor.is_platform_owner else authz.NOTHING
