from django.urls import path

from chargeback import views

urlpatterns = [
    path("", views.cost_matrix, name="chargeback_home"),
    path("domains/<slug:slug>/", views.domain_costs, name="chargeback_domain"),
]
