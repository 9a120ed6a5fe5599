"""REST for budgets: /api/v1/budgets/. Finance reads and writes the tenant's; domain owners read their domains'."""

from django.core.exceptions import ValidationError
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, status, viewsets
from rest_framework.response import Response

from chargeback import selectors, services
from chargeback.api.serializers import BudgetSerializer

BAD_REQUEST = OpenApiResponse(description="A field is invalid; the body names it.")


def _resolve(actor, data: dict) -> dict:
    """Serializer output (ids, slugs, tag values) → the objects the services take; 400 names a dangling reference."""
    references = {}
    if "cost_scope_id" in data:
        references["cost_scope_id"] = data["cost_scope_id"]
    if "domain" in data:
        references["domain_slug"] = _nested(data["domain"], "slug")
    if "workspace" in data:
        references["workspace_id"] = _nested(data["workspace"], "workspace_id")
    try:
        values = selectors.budget_references(actor=actor, **references)
    except ValidationError as exc:
        raise exceptions.ValidationError({k: v for k, v in exc.message_dict.items()}) from None
    for key, value in data.items():
        if key not in ("cost_scope_id", "domain", "workspace"):
            values[key] = [dict(t) for t in value] if key == "thresholds" else value
    return values


def _nested(value, key):
    """The serializer gives dotted sources as nested dicts ({"slug": ...}) or None."""
    return (value or {}).get(key) if isinstance(value, dict) else value


@extend_schema_view(
    list=extend_schema(responses={200: BudgetSerializer(many=True), 403: OpenApiResponse(description="Consumers see no cost.")}),
    create=extend_schema(responses={201: BudgetSerializer, 400: BAD_REQUEST}),
    update=extend_schema(responses={200: BudgetSerializer, 400: BAD_REQUEST}),
    partial_update=extend_schema(responses={200: BudgetSerializer, 400: BAD_REQUEST}),
)
class BudgetViewSet(viewsets.GenericViewSet):
    """Monthly budgets per domain or workspace, pushed to Azure (Microsoft.Consumption/budgets)."""

    serializer_class = BudgetSerializer
    policy = {
        "list": "chargeback.view_reports",
        "retrieve": "chargeback.view_budget",
        "create": "chargeback.add_budget",
        "update": "chargeback.change_budget",
        "partial_update": "chargeback.change_budget",
        "destroy": "chargeback.delete_budget",
    }

    def get_queryset(self):
        return selectors.budget_list(actor=self.request.user)

    def list(self, request):
        page = self.paginate_queryset(self.get_queryset())
        if page is not None:
            return self.get_paginated_response(BudgetSerializer(page, many=True).data)
        return Response(BudgetSerializer(self.get_queryset(), many=True).data)

    def retrieve(self, request, pk=None):
        return Response(BudgetSerializer(self.get_object()).data)

    def _write(self, call):
        try:
            budget = call()
        except ValidationError as exc:
            raise exceptions.ValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages) from None
        return selectors.budget_get(actor=self.request.user, pk=budget.pk)

    def create(self, request):
        serializer = BudgetSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        values = _resolve(request.user, serializer.validated_data)
        budget = self._write(lambda: services.budget_create(actor=request.user, **values))
        return Response(BudgetSerializer(budget).data, status=status.HTTP_201_CREATED)

    def update(self, request, pk=None, partial=False):
        budget = self.get_object()
        serializer = BudgetSerializer(budget, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if partial:  # PATCH changes only what was sent
            data = {k: v for k, v in data.items() if _sent(k, request.data)}
        values = _resolve(request.user, data)
        budget = self._write(lambda: services.budget_update(actor=request.user, budget=budget, **values))
        return Response(BudgetSerializer(budget).data)

    def partial_update(self, request, pk=None):
        return self.update(request, pk, partial=True)

    def destroy(self, request, pk=None):
        services.budget_delete(actor=request.user, budget=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


def _sent(key: str, data) -> bool:
    """Whether the client sent the field behind serializer key ``key``."""
    return {"cost_scope_id": "cost_scope"}.get(key, key) in data
