"""``{% can "app.perm" obj as allowed %}``: ask the one policy from a template."""

from django import template

from loom_portal import authz

register = template.Library()


@register.simple_tag(takes_context=True)
def can(context, perm, obj=None):
    request = context.get("request")
    user = getattr(request, "user", None)
    return authz.can(user, perm, obj) if user is not None else False
