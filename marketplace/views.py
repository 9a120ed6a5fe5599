"""Catalog pages: search with facets, and a product's page."""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from domains.selectors import domain_ids_for, domain_list
from loom_portal import authz
from marketplace import selectors, services
from marketplace.choices import LIVE_GRANT_STATUSES, AccessRequestStatus
from marketplace.contracts import MAX_CONTRACT_BYTES, MEDIA_TYPE, contract_for, dump_yaml, error_lines
from marketplace.forms import ContractImportForm, ProductSearchForm
from marketplace.lineage import lineage_graph
from marketplace.rendering import render_markdown, usage_bars
from marketplace.services.contracts import product_import_contract as contract_import_service

FACET_TITLES = {
    "domain": "Domain", "kind": "Kind", "sensitivity": "Sensitivity", "tag": "Tag", "freshness": "Freshness",
    "owner": "Owner",
}


def _query(filters: dict, **changes) -> str:
    merged = {**filters, **changes}
    return "?" + urlencode({k: v for k, v in merged.items() if v not in ("", None)})


@login_required
def catalog(request):
    form = ProductSearchForm(request.GET)
    if form.is_valid():
        filters, page, status = form.filters(), form.cleaned_data.get("page") or 1, 200
    else:
        filters, page, status = {}, 1, 400
    result = selectors.product_search(actor=request.user, **filters, page=page) if status == 200 else None
    facets = []
    if result is not None:
        for facet, values in result.facets.items():
            current = filters.get(facet)
            entries = [
                {
                    "value": v.value, "label": v.label, "count": v.count, "selected": v.selected,
                    "url": _query(filters, **{facet: "" if v.selected else v.value}),
                }
                for v in values
            ]
            facets.append({"name": facet, "title": FACET_TITLES[facet], "values": entries,
                           "clear_url": _query(filters, **{facet: ""}) if current else ""})
    return render(
        request,
        "marketplace/catalog.html",
        {
            "form": form,
            "result": result,
            "facets": facets,
            "filters": filters,
            "prev_url": _query(filters, page=result.page.previous_page_number())
            if result and result.page.has_previous() else "",
            "next_url": _query(filters, page=result.page.next_page_number()) if result and result.page.has_next() else "",
        },
        status=status,
    )


@login_required
def product_detail(request, slug):
    product = selectors.product_get(actor=request.user, slug=slug)
    details = authz.can(request.user, "marketplace.view_dataproduct_details", product)
    return render(
        request,
        "marketplace/product_detail.html",
        {
            "product": product,
            "details": details,
            "description_html": render_markdown(product.description) if details else "",
            "lineage": lineage_graph(product) if details else None,
            **selectors.product_people(product),
            "can_edit": authz.can(request.user, "marketplace.change_dataproduct", product),
            **_access_context(request.user, product),
        },
    )


def _access_context(user, product) -> dict:
    """The viewer's own access to the product, and its usage figures and chart."""
    usage = selectors.product_usage(product=product)
    return {
        "can_request": authz.can(user, "marketplace.request_access", product),
        "my_grant": selectors.grant_list(actor=user, mine=True, product=product).filter(
            status__in=LIVE_GRANT_STATUSES).first(),
        "my_open_request": selectors.access_request_list(actor=user, mine=True, product=product,
                                                         status=AccessRequestStatus.REQUESTED).first(),
        "usage_summary": selectors.product_usage_summary(product=product, usage=usage),
        "usage_bars": usage_bars(usage),
    }


STATUS_ACTIONS = {
    "publish": (services.product_publish, "published"),
    "deprecate": (services.product_deprecate, "deprecated"),
    "retire": (services.product_retire, "retired"),
}


@login_required
@require_POST
def product_status_change(request, slug, action):
    """Publish, deprecate or retire from the product page (editors only; the service decides)."""
    product = selectors.product_get(actor=request.user, slug=slug)
    authz.require(request.user, "marketplace.change_dataproduct", product)
    service, done = STATUS_ACTIONS[action]
    try:
        product = service(actor=request.user, product=product)
        messages.success(request, f"{product.name} is now {done}.")
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("product_detail", slug=slug)


# --- ODCS data contracts -------------------------------------------------------------------


@login_required
def product_contract_download(request, slug):
    """The product's ODCS contract as a YAML download (same rules as the REST contract)."""
    product = selectors.product_get(actor=request.user, slug=slug)
    authz.require(request.user, "marketplace.view_dataproduct_details", product)
    body = dump_yaml(contract_for(product, people=selectors.product_people(product)))
    response = HttpResponse(body, content_type=f"{MEDIA_TYPE}; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{product.slug}.odcs.yaml"'
    return response


def _editable_domains(user):
    """Domains ``user`` may add products to (as product_create decides: platform owners, domain stewards/owners)."""
    domains = domain_list(actor=user)
    if not user.is_platform_owner:
        domains = domains.filter(pk__in=domain_ids_for(actor=user, perm="domains.steward_domain"))
    return domains.order_by("name")


@login_required
def contract_import(request):
    """Upload an ODCS contract: creates a draft product, or updates the draft product it names (editors)."""
    if not authz.can(request.user, "marketplace.add_dataproduct"):
        raise PermissionDenied("Only the owners and stewards of a domain import data contracts.")
    domains = list(_editable_domains(request.user))
    initial = {"domain": request.GET.get("domain", "")}
    form = ContractImportForm(request.POST or None, request.FILES or None, domains=domains, initial=initial)
    errors, status = [], 200
    if request.method == "POST":
        if form.is_valid():
            domain = next(d for d in domains if d.slug == form.cleaned_data["domain"])
            upload = form.cleaned_data["contract"]
            if upload.size > MAX_CONTRACT_BYTES:
                errors = [f"contract: larger than {MAX_CONTRACT_BYTES // 1000} kB"]
            else:
                try:
                    result = contract_import_service(actor=request.user, domain=domain, contract=upload.read())
                except ValidationError as exc:
                    errors = error_lines(exc)
                else:
                    verb = "created" if result.created else "updated"
                    messages.success(request, f"{result.product.name} was {verb} from the contract.")
                    for warning in result.skipped:
                        messages.warning(request, warning)
                    return redirect("product_detail", slug=result.product.slug)
        status = 400
    return render(request, "marketplace/contract_import.html", {"form": form, "errors": errors}, status=status)
