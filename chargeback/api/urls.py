from django.urls import path
from rest_framework.routers import SimpleRouter

from chargeback.api.budgets import BudgetViewSet
from chargeback.api.views import CostReportView

router = SimpleRouter()
router.register("budgets", BudgetViewSet, basename="budget")

urlpatterns = [
    path("chargeback/costs", CostReportView.as_view(), name="chargeback_costs_api"),
    *router.urls,
]
