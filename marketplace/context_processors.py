"""Navigation facts for access: how many requests wait for the signed-in reviewer."""

from loom_portal import authz
from marketplace import selectors
from marketplace.choices import AccessRequestStatus
from marketplace.policies import editors_q


def access_nav(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    waiting = selectors.access_request_list(actor=user, to_review=True, status=AccessRequestStatus.REQUESTED)
    count = waiting.count()
    is_reviewer = bool(count) or authz.can(user, "marketplace.add_dataproduct") or (
        selectors.product_list(actor=user).filter(editors_q(user)).exists()
    )
    return {"access_nav": {"queue_count": count, "is_reviewer": is_reviewer}}
