"""Entra ID sign-in (mozilla-django-oidc) with the portal's own callback and failure page."""

from django.urls import path
from mozilla_django_oidc.views import OIDCLogoutView

from loom_portal.auth.views import EntraAuthenticationRequestView, EntraCallbackView

urlpatterns = [
    path("authenticate/", EntraAuthenticationRequestView.as_view(), name="oidc_authentication_init"),
    path("callback/", EntraCallbackView.as_view(), name="oidc_authentication_callback"),
    path("logout/", OIDCLogoutView.as_view(), name="oidc_logout"),
]
