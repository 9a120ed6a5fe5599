"""Catalog pages: search with facets, and a product's page."""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from loom_portal import authz
from marketplace import selectors, services
from marketplace.forms import ProductSearchForm
from marketplace.rendering import render_markdown

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
            **selectors.product_people(product),
            "can_edit": authz.can(request.user, "marketplace.change_dataproduct", product),
        },
    )


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
