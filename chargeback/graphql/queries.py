"""Chargeback queries: ``costs`` and ``budgets``, for finance and domain owners only, as in REST.

``costs`` parses its arguments with the form REST uses (``CostQueryForm``) and reads the same selectors; a
viewer without ``chargeback.view_reports`` gets a PERMISSION_DENIED error rather than an empty report, as
REST answers 403. Budgets are restricted by ``chargeback.view_budget`` (finance: the tenant's; domain owners:
their domains').
"""

from __future__ import annotations

import graphene
from graphql import GraphQLError

from chargeback import selectors
from chargeback.choices import GroupBy
from chargeback.forms import CostQueryForm
from chargeback.graphql.types import BudgetConnection, CostGroupByEnum, CostReport, CostRow, GranularityEnum
from loom_portal import authz
from loom_portal.graphql.paging import connection_of, fetch_page

COST_DENIED = "Only finance and domain owners see cost."


def _require_reports(actor) -> None:
    if not authz.can(actor, "chargeback.view_reports"):
        raise GraphQLError(COST_DENIED, extensions={"code": "PERMISSION_DENIED"})


def _value(choice) -> str:
    return getattr(choice, "value", choice) or ""


class ChargebackQuery(graphene.ObjectType):
    costs = graphene.Field(
        CostReport,
        group_by=CostGroupByEnum(description="Default DOMAIN. PRODUCT: each product's workspace cost split "
                                             "across its consumers by their data-API calls (monthly)."),
        granularity=GranularityEnum(description="Default MONTH."),
        date_from=graphene.Date(name="from", description="First day; default: the first of the month 2 months back."),
        date_to=graphene.Date(name="to", description="Last day; default: today."),
        required=True,
        description="Direct cost grouped by domain, workspace or product. Finance: the tenant; domain owners: "
                    "their domains.",
    )
    budgets = graphene.Field(
        BudgetConnection,
        first=graphene.Int(description="Page size, 1 to 100 (20 when absent)."),
        after=graphene.String(description="The endCursor of the previous page."),
        required=True,
        description="Monthly budgets by name. Finance: the tenant's; domain owners: their domains'.",
    )

    def resolve_costs(root, info, group_by=None, granularity=None, date_from=None, date_to=None):
        actor = info.context.user
        _require_reports(actor)
        params = {"group_by": _value(group_by), "granularity": _value(granularity),
                  "from": date_from.isoformat() if date_from else "", "to": date_to.isoformat() if date_to else ""}
        form = CostQueryForm(params)
        if not form.is_valid():
            field, messages = next(iter(form.param_errors.items()))
            field = {"group_by": "groupBy"}.get(field, field)
            raise GraphQLError(" ".join(messages), extensions={"code": "INVALID_ARGUMENT", "field": field})
        data = form.cleaned_data
        if data["group_by"] == GroupBy.PRODUCT:
            rows = selectors.showback_breakdown(actor=actor, date_from=data["date_from"], date_to=data["date_to"])
        else:
            rows = selectors.cost_breakdown(actor=actor, group_by=data["group_by"], granularity=data["granularity"],
                                            date_from=data["date_from"], date_to=data["date_to"])
        return CostReport(group_by=data["group_by"], granularity=data["granularity"], date_from=data["date_from"],
                          date_to=data["date_to"], rows=[CostRow(**row) for row in rows])

    def resolve_budgets(root, info, first=None, after=None):
        actor = info.context.user
        _require_reports(actor)
        matching = selectors.budget_list(actor=actor).order_by("name", "pk")
        connection = connection_of(BudgetConnection, *fetch_page(matching, first, after))
        connection.matching = matching
        return connection
