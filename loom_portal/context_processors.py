from django.conf import settings

from loom_portal import authz
from loom_portal.selectors import notification_list


def portal(request):
    """Navigation facts for the base template: roles, unread notifications, sign-in options."""
    user = getattr(request, "user", None)
    context = {"oidc_enabled": settings.OIDC_ENABLED, "nav": {}}
    if user is not None and user.is_authenticated:
        context["nav"] = {
            "roles": user.roles,
            "admin": authz.can(user, "loom_portal.access_admin") or user.is_superuser,
            "unread_notifications": notification_list(actor=user, unread_only=True).count(),
            "recent_notifications": list(notification_list(actor=user)[:5]),
        }
    return context
