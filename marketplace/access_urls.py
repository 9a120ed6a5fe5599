from django.urls import path

from marketplace import access_views as views

urlpatterns = [
    path("", views.my_access, name="my_access"),
    path("queue/", views.access_queue, name="access_queue"),
    path("request/<slug:slug>/", views.access_request_new, name="access_request_new"),
    path("requests/<int:pk>/", views.access_request_detail, name="access_request_detail"),
    path("requests/<int:pk>/<str:action>/", views.access_request_decide, name="access_request_decide"),
    path("grants/<int:pk>/", views.grant_detail, name="grant_detail"),
    path("grants/<int:pk>/<str:action>/", views.grant_action, name="grant_action"),
    path("keys/<int:pk>/<str:action>/", views.api_key_action, name="api_key_action"),
]
