"""REST for budgets: /api/v1/budgets/. Finance reads and writes the tenant's; domain owners read their domains'."""

from django.core.exceptions import ValidationError
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, status, viewsets
from rest_framework.response import Response

from chargeback import selectors, services
from chargeback.api.serializers import BudgetSerializer
from domains.selectors import domain_list, workspace_list

BAD_REQUEST = OpenApiResponse(description="A field is invalid; the body names it.")


def _resolve(actor, data: dict) -> dict:
    """Serializer output (ids, slugs, tag values) → the objects the services take; 400 names a dangling reference."""
    values = {}
    for key, value in data.items():
        if key == "cost_scope_id":
            scope = selectors.cost_scope_list(actor=actor).filter(pk=value).first()
            if scope is None:
                raise exceptions.ValidationError({"cost_scope": [f"No cost scope with id {value}."]})
            values["cost_scope"] = scope
        elif key == "domain":
            slug = (value or {}).get("slug") if isinstance(value, dict) else value
            domain = domain_list(actor=actor).filter(slug=slug).first() if slug else None
            if slug and domain is None:
                raise exceptions.ValidationError({"domain": [f"No domain with the slug {slug!r}."]})
            values["domain"] = domain
        elif key == "workspace":
            tag = (value or {}).get("workspace_id") if isinstance(value, dict) else value
            workspace = workspace_list(actor=actor).filter(workspace_id__iexact=tag).first() if tag else None
            if tag and workspace is None:
                raise exceptions.ValidationError({"workspace": [f"No workspace with the loomWorkspaceId {tag!r}."]})
            values["workspace"] = workspace
        elif key == "thresholds":
            values[key] = [dict(t) for t in value]
        else:
            values[key] = value
    return values


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
