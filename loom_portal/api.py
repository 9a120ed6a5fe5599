"""REST plumbing shared by every app: the one permission class and the error format.

``PolicyPermission`` maps a view's action to a permission through the view's
``policy`` dict (``{"list": "domains.view_domain", ...}``) and asks authz.
Querysets come from selectors, which restrict them, so objects outside the
actor's reach are 404 before object permissions are ever checked.
"""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, permissions

from loom_portal import authz


class PolicyPermission(permissions.BasePermission):
    message = "You do not have permission to do this."

    def _perm(self, view):
        action = getattr(view, "action", None) or view.request.method.lower()
        policy = getattr(view, "policy", None)
        if policy is None:
            return None
        return policy.get(action, policy.get("*"))

    def has_permission(self, request, view):
        if not (request.user and request.user.is_authenticated):
            return False
        perm = self._perm(view)
        if perm is None:
            return False  # fail closed: an action with no declared permission is refused
        rule = authz.rule_for(perm)
        return authz.can(request.user, perm) if rule.model is None else True

    def has_object_permission(self, request, view, obj):
        perm = self._perm(view)
        if perm is None:
            return False
        if authz.rule_for(perm).model is None:
            return authz.can(request.user, perm)
        authz.require(request.user, perm, obj)
        return True


def exception_handler(exc, context):
    """DRF's handler, plus Django's ValidationError as 400 with the fields named."""
    from rest_framework.views import exception_handler as drf_exception_handler  # DRF settings import us

    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        exc = exceptions.ValidationError(detail)
    elif isinstance(exc, DjangoPermissionDenied | PermissionError):
        exc = exceptions.PermissionDenied(str(exc) or None)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    return drf_exception_handler(exc, context)


class BearerTokenAuthentication:
    """``Authorization: Bearer loom_pat_…``: a personal API token (see loom_portal.tokens)."""

    keyword = "Bearer"

    def authenticate(self, request):
        from loom_portal.tokens import api_token_authenticate

        header = request.META.get("HTTP_AUTHORIZATION", "")
        scheme, _, credentials = header.partition(" ")
        if scheme.lower() != "bearer" or not credentials.strip():
            return None
        user = api_token_authenticate(credentials.strip())
        if user is None:
            raise exceptions.AuthenticationFailed("The API token is invalid, expired or revoked.")
        return (user, None)

    def authenticate_header(self, request):
        return 'Bearer realm="loom-portal"'


@csrf_exempt  # nothing to protect: it only ever answers 404 (or a redirect for GET)
def not_found(request, unmatched: str = ""):
    """Unmatched paths under /api/ answer JSON 404 (what the OpenAPI document promises), not the HTML page;
    a path missing only its trailing slash is redirected as Django's APPEND_SLASH would."""
    from django.http import HttpResponsePermanentRedirect, JsonResponse
    from django.urls import Resolver404, resolve

    if not request.path.endswith("/") and request.method in ("GET", "HEAD"):
        try:
            match = resolve(request.path + "/")
        except Resolver404:
            match = None
        if match is not None and match.func is not not_found:
            query = request.META.get("QUERY_STRING", "")
            return HttpResponsePermanentRedirect(request.path + "/" + (f"?{query}" if query else ""))
    return JsonResponse({"detail": "Not found."}, status=404)
