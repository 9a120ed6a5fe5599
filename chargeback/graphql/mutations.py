"""``upsertBudget``: finance creates or changes a budget through the services REST and the pages call.

Without ``id`` it creates (``chargeback.add_budget``); with one it changes only the fields sent
(``chargeback.change_budget`` on that budget; another tenant's or a hidden budget is NOT_FOUND). References
are by the cost scope's id, the domain's slug and the workspace's loomWorkspaceId, as in REST. Refusals are
typed errors naming the field; the services validate before writing and run in a transaction, so a refused
mutation changes nothing.
"""

from __future__ import annotations

import graphene
from django.http import Http404
from graphene.utils.str_converters import to_camel_case

from chargeback import selectors, services
from chargeback.graphql.types import BudgetType
from loom_portal import authz
from loom_portal.graphql.errors import REPORTED, invalid, mutation_errors
from loom_portal.graphql.types import FieldError

#: What a new budget needs (the services take the rest as defaults).
REQUIRED_TO_CREATE = ("name", "cost_scope", "amount", "start_date", "thresholds")


class BudgetThresholdInput(graphene.InputObjectType):
    type = graphene.String(required=True, description="Actual or Forecasted.")
    percent = graphene.Int(required=True, description="1 to 1000.")


class BudgetInput(graphene.InputObjectType):
    id = graphene.ID(description="The budget to change; without it a budget is created.")
    name = graphene.String(description="Also the Azure budget name: letters, digits, - and _ (at most 63).")
    cost_scope = graphene.Int(description="The cost scope's id.")
    domain = graphene.String(description="A domain's slug (a domain budget) …")
    workspace = graphene.String(description="… or a loomWorkspaceId (a workspace budget).")
    amount = graphene.Decimal(description="Per month, more than 0.")
    currency = graphene.String(description="ISO 4217, e.g. USD (default).")
    start_date = graphene.Date(description="The first day of a month.")
    end_date = graphene.Date(description="The last day; null for open-ended.")
    thresholds = graphene.List(graphene.NonNull(BudgetThresholdInput))
    contact_emails = graphene.List(graphene.NonNull(graphene.String))
    contact_groups = graphene.List(graphene.NonNull(graphene.String), description="Azure Monitor action group ids.")


def _budget_pk(value) -> int:
    text = str(value).strip()
    if not text.isdigit() or len(text) > 18:
        raise Http404
    return int(text)


def _service_values(actor, data: dict) -> dict:
    """The input's fields as the budget services take them (references resolved through the selectors)."""
    references = {}
    for field, argument in (("cost_scope", "cost_scope_id"), ("domain", "domain_slug"), ("workspace", "workspace_id")):
        if field in data:
            references[argument] = data.pop(field)
    values = selectors.budget_references(actor=actor, **references)
    if "thresholds" in data:
        data["thresholds"] = [{"type": t.type, "percent": t.percent} for t in data["thresholds"]]
    return {**data, **values}


class UpsertBudget(graphene.Mutation):
    """Create a budget, or change the one ``input.id`` names; it is pushed to Azure after the change commits."""

    class Meta:
        name = "UpsertBudgetPayload"

    class Arguments:
        input = BudgetInput(required=True)

    budget = graphene.Field(BudgetType, description="The budget after the change; null when refused.")
    errors = graphene.List(graphene.NonNull(FieldError), required=True)

    @classmethod
    def mutate(cls, root, info, input):
        actor = info.context.user
        data = {key: value for key, value in input.items() if key != "id"}
        try:
            if input.get("id") is None:
                authz.require(actor, "chargeback.add_budget")
                missing = [field for field in REQUIRED_TO_CREATE if data.get(field) is None]
                if missing:
                    return cls(budget=None, errors=[e for f in missing for e in invalid(
                        to_camel_case(f), "This field is required to create a budget.")])
                budget = services.budget_create(actor=actor, **_service_values(actor, data))
            else:
                budget = selectors.budget_get(actor=actor, pk=_budget_pk(input["id"]))
                authz.require(actor, "chargeback.change_budget", budget)
                budget = services.budget_update(actor=actor, budget=budget, **_service_values(actor, data))
        except REPORTED as exc:
            return cls(budget=None, errors=mutation_errors(exc, not_found_field="id",
                                                           not_found=f"No budget {input.get('id')!r} is visible to you."))
        return cls(budget=selectors.budget_get(actor=actor, pk=budget.pk), errors=[])


class ChargebackMutation(graphene.ObjectType):
    upsert_budget = UpsertBudget.Field()
