from django.urls import path

from domains import views

urlpatterns = [
    path("", views.domain_list, name="domain_list"),
    path("<slug:slug>/", views.domain_detail, name="domain_detail"),
    path("<slug:slug>/roles/assign/", views.domain_role_change, {"action": "assign"}, name="domain_role_assign"),
    path("<slug:slug>/roles/remove/", views.domain_role_change, {"action": "remove"}, name="domain_role_remove"),
]
