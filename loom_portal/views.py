"""Core pages: the home dashboard, notifications and the health endpoint."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.templatetags.static import static
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from loom_portal import health, selectors, services


@never_cache
@require_GET
def healthz(request):
    """Public readiness probe: 200 when the database, cache and broker answer, else 503 naming what failed."""
    healthy, checks = health.run_checks()
    return JsonResponse({"status": "ok" if healthy else "unhealthy", "checks": checks}, status=200 if healthy else 503)


def favicon(request):
    """Browsers ask for /favicon.ico on pages without a <link rel=icon> (the admin's)."""
    return redirect(static("loom/favicon.svg"), permanent=True)


@login_required
def home(request):
    return render(request, "loom_portal/home.html", {"recent_jobs": selectors.job_run_list(actor=request.user)[:5]})


@login_required
def notification_list(request):
    page = Paginator(selectors.notification_list(actor=request.user), 25).get_page(request.GET.get("page"))
    return render(request, "loom_portal/notifications.html", {"page": page})


@login_required
@require_POST
def notification_read(request, pk):
    notification = selectors.notification_get(actor=request.user, pk=pk)
    services.notification_mark_read(actor=request.user, notification=notification)
    target = notification.url
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect("notifications")


@login_required
@require_POST
def notification_read_all(request):
    count = services.notifications_mark_all_read(actor=request.user)
    messages.success(request, f"Marked {count} notification{'s' if count != 1 else ''} as read.")
    return redirect("notifications")


@login_required
def api_token_list(request):
    """Personal API tokens: create (shown once), list, revoke."""
    from loom_portal import tokens
    from loom_portal.forms import ApiTokenForm

    issued = None
    form = ApiTokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            issued = tokens.api_token_create(
                actor=request.user, name=form.cleaned_data["name"], lifetime_days=form.cleaned_data["lifetime_days"]
            )
            form = ApiTokenForm()
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
    return render(
        request,
        "loom_portal/api_tokens.html",
        {"form": form, "issued": issued, "tokens": tokens.api_token_list(actor=request.user)},
    )


@login_required
@require_POST
def api_token_revoke(request, pk):
    from loom_portal import tokens

    token = get_object_or_404(tokens.api_token_list(actor=request.user), pk=pk)
    tokens.api_token_revoke(actor=request.user, token=token)
    messages.success(request, f"Token “{token.name}” revoked.")
    return redirect("api_tokens")
