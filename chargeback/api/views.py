from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import APIView

from chargeback import selectors
from chargeback.api.serializers import CostReportSerializer
from chargeback.forms import CostQueryForm


class CostReportView(APIView):
    """Direct cost grouped by domain or workspace per day or month, or shown back per data product and consumer. Finance: the tenant; domain owners: their domains."""

    policy = {"get": "chargeback.view_reports"}

    @extend_schema(
        operation_id="chargeback_costs",
        parameters=[
            OpenApiParameter("group_by", OpenApiTypes.STR, enum=["domain", "workspace", "product"],
                             description="Default domain. product: each data product's workspace cost split across "
                                         "its consumers by their data-API calls (monthly)."),
            OpenApiParameter("granularity", OpenApiTypes.STR, enum=["day", "month"], description="Default month."),
            OpenApiParameter("from", OpenApiTypes.DATE, description="First day (YYYY-MM-DD); default: 2 months back."),
            OpenApiParameter("to", OpenApiTypes.DATE, description="Last day (YYYY-MM-DD); default: today."),
        ],
        responses={
            200: CostReportSerializer,
            400: OpenApiResponse(description="A parameter is invalid; the body names it."),
            403: OpenApiResponse(description="Only finance and domain owners see cost."),
        },
    )
    def get(self, request):
        form = CostQueryForm(request.query_params)
        if not form.is_valid():
            raise exceptions.ValidationError(form.param_errors)
        data = form.cleaned_data
        if data["group_by"] == "product":
            rows = selectors.showback_breakdown(actor=request.user, date_from=data["date_from"], date_to=data["date_to"])
        else:
            rows = selectors.cost_breakdown(
                actor=request.user,
                group_by=data["group_by"],
                granularity=data["granularity"],
                date_from=data["date_from"],
                date_to=data["date_to"],
            )
        payload = {
            "group_by": data["group_by"],
            "granularity": data["granularity"],
            "date_from": data["date_from"],
            "date_to": data["date_to"],
            "results": rows,
        }
        return Response(CostReportSerializer(payload).data)
