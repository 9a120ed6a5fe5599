from django.urls import path

from chargeback.api.views import CostReportView

urlpatterns = [
    path("chargeback/costs", CostReportView.as_view(), name="chargeback_costs_api"),
]
