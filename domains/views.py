"""Domain pages: the list, and a domain with its owners, stewards and workspaces."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from domains import selectors, services
from domains.forms import DomainRoleForm
from loom_portal import authz
from loom_portal.selectors import user_list


@login_required
def domain_list(request):
    return render(request, "domains/domain_list.html", {"domains": selectors.domain_list(actor=request.user)})


@login_required
def domain_detail(request, slug):
    domain = selectors.domain_get(actor=request.user, slug=slug)
    return render(
        request,
        "domains/domain_detail.html",
        {
            "domain": domain,
            **selectors.domain_people(domain),
            "role_form": DomainRoleForm(),
            "can_manage": authz.can(request.user, "domains.manage_stewards", domain),
        },
    )


@login_required
@require_POST
def domain_role_change(request, slug, action):
    domain = selectors.domain_get(actor=request.user, slug=slug)
    authz.require(request.user, "domains.manage_stewards", domain)
    form = DomainRoleForm(request.POST)
    if not form.is_valid():
        for field, errors in form.errors.items():
            messages.error(request, f"{field}: {' '.join(errors)}")
        return redirect("domain_detail", slug=slug)
    person = user_list(actor=request.user).filter(email__iexact=form.cleaned_data["email"]).first()
    if person is None:
        messages.error(request, f"No one with email {form.cleaned_data['email']} in your organisation.")
        return redirect("domain_detail", slug=slug)
    role = form.cleaned_data["role"]
    label = dict(form.fields["role"].choices)[role].lower()
    try:
        if action == "assign":
            changed = services.domain_assign_role(actor=request.user, domain=domain, user=person, role=role)
            messages.success(request, f"{person} is now {label} of {domain}." if changed else f"{person} already was {label}.")
        else:
            changed = services.domain_remove_role(actor=request.user, domain=domain, user=person, role=role)
            messages.success(request, f"{person} is no longer {label} of {domain}." if changed else f"{person} was not {label}.")
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("domain_detail", slug=slug)
