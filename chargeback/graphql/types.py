"""Chargeback types: a cost report's rows and budgets, as finance and domain owners see them in REST."""

from __future__ import annotations

import graphene
from graphene_django import DjangoObjectType

from chargeback.choices import Granularity, GroupBy
from chargeback.models import Budget

CostGroupByEnum = graphene.Enum.from_enum(GroupBy, name="CostGroupBy", description="How cost rows are grouped.")
GranularityEnum = graphene.Enum.from_enum(Granularity, name="CostGranularity", description="Day or month periods.")


class CostRow(graphene.ObjectType):
    """One period's cost of one group, in one currency (amounts in different currencies are never added)."""

    period = graphene.String(required=True, description="YYYY-MM-DD by day, YYYY-MM by month.")
    domain = graphene.String(description="The domain's slug; null for Unallocated cost.")
    domain_name = graphene.String(required=True)
    workspace = graphene.String(description="loomWorkspaceId (groupBy WORKSPACE).")
    workspace_name = graphene.String()
    product = graphene.String(description="The product's slug (groupBy PRODUCT).")
    consumer = graphene.String(description="The consumer's e-mail (groupBy PRODUCT).")
    calls = graphene.Int(description="The consumer's data-API calls (groupBy PRODUCT).")
    share = graphene.Decimal(description="The consumer's share of the workspace's calls (groupBy PRODUCT).")
    cost = graphene.Decimal(required=True)
    currency = graphene.String(required=True)


class CostReport(graphene.ObjectType):
    group_by = graphene.Field(CostGroupByEnum, required=True)
    granularity = graphene.Field(GranularityEnum, required=True)
    date_from = graphene.Date(required=True, name="from")
    date_to = graphene.Date(required=True, name="to")
    rows = graphene.List(graphene.NonNull(CostRow), required=True)


class BudgetThreshold(graphene.ObjectType):
    type = graphene.String(required=True, description="Actual or Forecasted.")
    percent = graphene.Int(required=True)


class BudgetType(DjangoObjectType):
    """A monthly budget for a domain or a workspace, pushed to Azure (Microsoft.Consumption/budgets)."""

    id = graphene.ID(required=True)
    cost_scope = graphene.Int(required=True, description="The cost scope's id.")
    domain = graphene.String(description="The domain's slug (a domain budget).")
    workspace = graphene.String(description="The loomWorkspaceId (a workspace budget).")
    thresholds = graphene.List(graphene.NonNull(BudgetThreshold), required=True)
    contact_emails = graphene.List(graphene.NonNull(graphene.String), required=True)
    contact_groups = graphene.List(graphene.NonNull(graphene.String), required=True)
    push_state = graphene.String(required=True, description="pending, pushed or failed.")

    class Meta:
        model = Budget
        name = "Budget"
        fields = ["id", "name", "amount", "currency", "time_grain", "start_date", "end_date", "last_pushed_at",
                  "last_push_error"]
        convert_choices_to_enum = False

    def resolve_cost_scope(budget, info):
        return budget.cost_scope_id

    def resolve_domain(budget, info):
        return budget.domain.slug if budget.domain_id else None

    def resolve_workspace(budget, info):
        return budget.workspace.workspace_id if budget.workspace_id else None

    def resolve_thresholds(budget, info):
        return [BudgetThreshold(type=t.get("type"), percent=t.get("percent")) for t in budget.thresholds or []]

    def resolve_contact_emails(budget, info):
        return budget.contact_emails or []

    def resolve_contact_groups(budget, info):
        return budget.contact_groups or []


class BudgetConnection(graphene.relay.Connection):
    class Meta:
        node = BudgetType

    total_count = graphene.Int(required=True, description="Budgets you may see.")

    def resolve_total_count(root, info):
        return root.matching.count()
