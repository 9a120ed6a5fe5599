"""The GraphQL endpoint: signed-in users only; the tenant always comes from the user.

Two ways in: the portal session (with CSRF, like any form post) or a personal API
token (``Authorization: Bearer loom_pat_…``), for which CSRF does not apply.
"""

from django.contrib.auth.views import redirect_to_login
from django.http import JsonResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.utils.decorators import method_decorator
from django.views.decorators.csrf import csrf_exempt
from graphene_django.views import GraphQLView

from loom_portal.graphql.limits import VALIDATION_RULES
from loom_portal.tokens import api_token_authenticate


def _unauthorized(message):
    response = JsonResponse({"errors": [{"message": message}]}, status=401)
    response["WWW-Authenticate"] = 'Bearer realm="loom-portal"'
    return response


@method_decorator(csrf_exempt, name="dispatch")
class PortalGraphQLView(GraphQLView):
    graphiql = True
    graphiql_template = "loom_portal/graphiql.html"  # local assets only, never a CDN
    # GraphQL's own rules plus depth and cost limits (loom_portal.graphql.limits). Anonymous callers never
    # get this far (dispatch answers 401), so introspection is for signed-in users and token holders only.
    validation_rules = VALIDATION_RULES

    def __init__(self, **kwargs):
        # No graphene middleware: graphene-django adds its debug middleware whenever DEBUG is on, which
        # wraps every field's resolver for a `_debug` field this schema does not have.
        kwargs.setdefault("middleware", ())
        super().__init__(**kwargs)

    def dispatch(self, request, *args, **kwargs):
        scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() == "bearer":
            user = api_token_authenticate(credentials.strip())
            if user is None:
                return _unauthorized("The API token is invalid, expired or revoked.")
            request.user = user
        else:
            if not request.user.is_authenticated:
                if request.method == "GET" and self.request_wants_html(request):
                    return redirect_to_login(request.get_full_path())
                return _unauthorized("Sign in or send a personal API token to use the GraphQL API.")
            # Session callers keep Django's CSRF protection.
            csrf_refusal = CsrfViewMiddleware(lambda r: None).process_view(request, None, (), {})
            if csrf_refusal is not None:
                return csrf_refusal
        return super().dispatch(request, *args, **kwargs)
