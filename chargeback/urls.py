from django.urls import path

from chargeback import views

urlpatterns = [
    path("", views.cost_matrix, name="chargeback_home"),
    path("domains/<slug:slug>/", views.domain_costs, name="chargeback_domain"),
    path("budgets/", views.budget_list, name="chargeback_budgets"),
    path("budgets/new/", views.budget_create, name="chargeback_budget_create"),
    path("budgets/<int:pk>/", views.budget_detail, name="chargeback_budget"),
    path("budgets/<int:pk>/delete/", views.budget_delete, name="chargeback_budget_delete"),
    path("budgets/<int:pk>/push/", views.budget_push_again, name="chargeback_budget_push"),
]
