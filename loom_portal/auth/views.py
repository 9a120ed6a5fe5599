from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.http import Http404
from django.shortcuts import render
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from loom_portal import identity


class _OnlyWhenEnabled:
    """Entra sign-in pages exist only when OIDC_ENABLED is set."""

    def dispatch(self, request, *args, **kwargs):
        if not settings.OIDC_ENABLED:
            raise Http404("Sign-in with Microsoft Entra ID is not enabled.")
        return super().dispatch(request, *args, **kwargs)


class EntraAuthenticationRequestView(_OnlyWhenEnabled, OIDCAuthenticationRequestView):
    """Sends the browser to Entra ID's authorize endpoint (state, nonce and PKCE kept in the session)."""


class EntraCallbackView(_OnlyWhenEnabled, OIDCAuthenticationCallbackView):
    """The OIDC callback, with a clear page instead of a bare redirect or a 400 when sign-in fails."""

    def get(self, request):
        if request.GET.get("code") and "oidc_states" not in request.session:
            return self._expired_state(request)
        try:
            return super().get(request)
        except SuspiciousOperation:
            return self._expired_state(request)

    def _expired_state(self, request):
        refusal = identity.SignInRefused(
            "expired_state",
            "Your sign-in took too long or was started in another browser window. Start again.",
            detail="state not found in session",
        )
        identity.sign_in_refused(refusal=refusal)
        request.loom_sign_in_refusal = refusal
        return self.login_failure()

    def login_failure(self):
        refusal = getattr(self.request, "loom_sign_in_refusal", None)
        if refusal is None and self.request.GET.get("error"):
            refusal = identity.SignInRefused(
                "provider_error",
                f"The identity provider refused the sign-in: {self.request.GET.get('error_description') or self.request.GET['error']}",
            )
            identity.sign_in_refused(refusal=refusal)
        if refusal is None:
            refusal = identity.SignInRefused("failed", "Sign-in did not complete. Try again.")
        return render(self.request, "account/sign_in_failed.html", {"refusal": refusal}, status=403)
