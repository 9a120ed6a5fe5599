"""Access pages: request access, My access (requests, grants, keys), the steward queue, a grant's page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from loom_portal import authz
from marketplace import selectors
from marketplace.choices import AccessRequestStatus, GrantStatus
from marketplace.forms import AccessDecisionForm, AccessRequestForm, GrantRenewForm, QueueFilterForm
from marketplace.services import access, grants

QUEUE_PAGE_SIZE = 50


def _safe_next(request, fallback: str, **kwargs):
    """Redirect to the form's ``next`` when it is a path on this site, else to ``fallback``."""
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return redirect(target)
    return redirect(fallback, **kwargs)


def _messages_of(error: ValidationError) -> str:
    if hasattr(error, "error_dict"):
        return " ".join(f"{m}" for msgs in error.message_dict.values() for m in msgs)
    return " ".join(error.messages)


@login_required
def access_request_new(request, slug):
    """The request form: purpose, a value list per scopable column (or all rows), and a duration."""
    product = selectors.product_get(actor=request.user, slug=slug)
    authz.require(request.user, "marketplace.request_access", product)
    scopable = [c for c in product.columns.all() if c.is_scopable]
    form = AccessRequestForm(request.POST or None, product=product, scopable=scopable,
                             max_days=access.max_grant_days(product))
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                created = access.access_request_create(
                    actor=request.user, product=product, purpose=form.cleaned_data["purpose"],
                    scope=form.scope(), duration_days=form.cleaned_data["duration_days"],
                )
            except ValidationError as error:
                for field, errors in error.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                messages.success(request, f"Request #{created.pk} sent to the stewards of {product.name}.")
                return redirect("my_access")
        status = 400
    return render(request, "marketplace/access/request_form.html",
                  {"product": product, "form": form, "scopable": scopable}, status=status)


@login_required
def my_access(request):
    """The consumer's own requests, grants (with expiry) and keys. A new key's plaintext shows once."""
    my_requests = selectors.access_request_list(actor=request.user, mine=True)[:100]
    my_grants = selectors.grant_list(actor=request.user, mine=True)[:100]
    new_key = request.session.pop("new_api_key", None)
    return render(request, "marketplace/access/my_access.html", {
        "requests": my_requests, "grants": my_grants, "new_key": new_key,
    })


@login_required
def access_queue(request):
    """Requests the steward may decide, with filters and the requester's context; bulk approve or deny."""
    form = QueueFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    status = filters.get("status") or AccessRequestStatus.REQUESTED
    queue = selectors.access_request_list(actor=request.user, to_review=True, status=status,
                                          domain_slug=filters.get("domain") or "")
    if filters.get("product"):
        queue = queue.filter(product__slug=filters["product"])
    page = Paginator(queue.order_by("created_at", "id"), QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
    requester_ids = {r.requester_id for r in page}
    other_grants = {}
    for grant in selectors.grant_list(actor=request.user, status=GrantStatus.ACTIVE).filter(
        grantee_id__in=requester_ids
    ):
        other_grants.setdefault(grant.grantee_id, []).append(grant)
    rows = [{"request": r, "next_step": access.next_step(r) if r.is_open else None,
             "other_grants": other_grants.get(r.requester_id, [])} for r in page]
    return render(request, "marketplace/access/queue.html", {
        "form": form, "page": page, "rows": rows, "status": status, "decision_form": AccessDecisionForm(),
        "statuses": AccessRequestStatus.choices,
    })


@login_required
def access_request_detail(request, pk):
    item = selectors.access_request_get(actor=request.user, pk=pk)
    return render(request, "marketplace/access/request_detail.html", {
        "item": item,
        "can_review": item.is_open and authz.can(request.user, "marketplace.review_accessrequest", item),
        "can_withdraw": item.is_open and authz.can(request.user, "marketplace.withdraw_accessrequest", item),
        "next_step": access.next_step(item) if item.is_open else None,
        "grant": getattr(item, "grant", None),
        "decision_form": AccessDecisionForm(),
    })


@login_required
@require_POST
def access_request_decide(request, pk, action):
    """approve / deny / withdraw one request, or bulk approve / deny from the queue (pk 0, ids in POST)."""
    if action not in ("approve", "deny", "withdraw"):
        raise Http404
    form = AccessDecisionForm(request.POST)
    reason = form.data.get("reason", "")
    if pk == 0:
        ids = [int(i) for i in request.POST.getlist("ids") if str(i).isdigit()]
        chosen = list(selectors.access_request_list(actor=request.user, to_review=True).filter(pk__in=ids))
        if not chosen:
            messages.error(request, "Select at least one request.")
        elif action == "withdraw":
            raise Http404
        else:
            done, errors = access.access_requests_decide(actor=request.user, requests=chosen,
                                                         approve=action == "approve", reason=reason)
            if done:
                messages.success(request, f"{done} request(s) {'approved' if action == 'approve' else 'denied'}.")
            for error in errors:
                messages.error(request, error)
        return _safe_next(request, "access_queue")

    item = selectors.access_request_get(actor=request.user, pk=pk)
    try:
        if action == "approve":
            access.access_request_approve(actor=request.user, request=item, note=reason)
            messages.success(request, f"Request #{item.pk} approved.")
        elif action == "deny":
            access.access_request_deny(actor=request.user, request=item, reason=reason)
            messages.success(request, f"Request #{item.pk} denied.")
        else:
            access.access_request_withdraw(actor=request.user, request=item)
            messages.success(request, f"Request #{item.pk} withdrawn.")
    except ValidationError as error:
        messages.error(request, _messages_of(error))
    except PermissionError as error:
        raise PermissionDenied(str(error)) from None
    return redirect("access_request_detail", pk=item.pk)


@login_required
def grant_detail(request, pk):
    grant = selectors.grant_get(actor=request.user, pk=pk)
    can_manage = authz.can(request.user, "marketplace.manage_grant", grant)
    return render(request, "marketplace/access/grant_detail.html", {
        "grant": grant,
        "can_manage": can_manage,
        "is_mine": grant.grantee_id == request.user.pk,
        "keys": [k for k in grant.api_keys.all() if k.user_id == request.user.pk],
        "usage": selectors.grant_usage_evidence(grant),
        "renew_form": GrantRenewForm(initial={"days": 30}),
        "decision_form": AccessDecisionForm(),
    })


@login_required
@require_POST
def grant_action(request, pk, action):
    """revoke / renew / recertify / confirm (stewards), relinquish and create-key (the consumer)."""
    grant = selectors.grant_get(actor=request.user, pk=pk)
    try:
        if action in ("revoke", "relinquish"):
            grants.grant_revoke(actor=request.user, grant=grant, reason=request.POST.get("reason", ""))
            messages.success(request, f"Grant #{grant.pk} revoked.")
        elif action == "renew":
            form = GrantRenewForm(request.POST)
            days = form.cleaned_data["days"] if form.is_valid() else request.POST.get("days")
            grants.grant_renew(actor=request.user, grant=grant, days=days)
            messages.success(request, f"Grant #{grant.pk} renewed.")
        elif action == "recertify":
            grants.grant_recertify(actor=request.user, grant=grant)
            messages.success(request, f"Grant #{grant.pk} recertified.")
        elif action == "confirm":
            grants.grant_confirm_applied(actor=request.user, grant=grant)
            messages.success(request, f"Grant #{grant.pk} is active.")
        elif action == "create-key":
            issued = grants.api_key_create(actor=request.user, grant=grant, name=request.POST.get("name", ""))
            request.session["new_api_key"] = {"name": issued.key.name, "plaintext": issued.plaintext,
                                              "product": grant.product.slug}
            return redirect("my_access")
        else:
            raise Http404
    except ValidationError as error:
        messages.error(request, _messages_of(error))
    except PermissionError as error:
        raise PermissionDenied(str(error)) from None
    return _safe_next(request, "grant_detail", pk=pk)


@login_required
@require_POST
def api_key_action(request, pk, action):
    key = selectors.api_key_get(actor=request.user, pk=pk)
    try:
        if action == "rotate":
            issued = grants.api_key_rotate(actor=request.user, key=key)
            request.session["new_api_key"] = {"name": issued.key.name, "plaintext": issued.plaintext,
                                              "product": key.grant.product.slug}
        elif action == "revoke":
            grants.api_key_revoke(actor=request.user, key=key)
            messages.success(request, f"Key {key.prefix}… revoked.")
        else:
            raise Http404
    except ValidationError as error:
        messages.error(request, _messages_of(error))
    return redirect("my_access")
