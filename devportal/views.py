"""Developer portal pages: the API catalog, a product's API (OpenAPI, Swagger UI, try it, snippets, DTOs),
APIM subscription keys, the APIM inventory and the Bicep template gallery.

Thin views: reads through selectors (which call authz), writes through services; a product another
tenant owns, or one the user may not see, is a 404 on every page.
"""

from __future__ import annotations

from azure.core.exceptions import AzureError
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from devportal import bicep, generators, guides
from devportal.forms import ExposeForm, RegenerateForm
from loom_portal import authz
from loom_portal.azure.errors import TransientAzureError
from marketplace import selectors as product_selectors
from marketplace.apim import selectors as apim_selectors
from marketplace.apim import services as apim_services
from marketplace.apim.inventory import apim_inventory as read_inventory
from marketplace.apim.openapi import product_openapi
from marketplace.rendering import render_markdown


def _product(request, slug):
    """A product whose schema the user may read (404 when hidden or another tenant's)."""
    product = product_selectors.product_get(actor=request.user, slug=slug)
    if not authz.can(request.user, "marketplace.view_dataproduct_details", product):
        raise Http404("Not found")
    return product


def _base_url(request) -> str:
    return request.build_absolute_uri("/").rstrip("/")


def _targets(request, publication) -> dict[str, generators.Target]:
    targets = {"portal": generators.Target(_base_url(request))}
    gateway = (settings.APIM_GATEWAY_URL or "").rstrip("/")
    if publication is not None and publication.state == "published" and gateway:
        path = apim_services.apim_path(publication.product)
        targets["apim"] = generators.Target(f"{gateway}/{path}", apim_services.SUBSCRIPTION_KEY_HEADER,
                                            "API Management gateway")
    return targets


def _target(request, publication):
    targets = _targets(request, publication)
    via = request.GET.get("via", "portal")
    if via not in targets:
        raise Http404("Unknown target")
    return via, targets[via]


@login_required
def catalog(request):
    return render(request, "devportal/catalog.html", {
        "apis": apim_selectors.published_api_list(actor=request.user),
        "apim_configured": apim_services.apim_configured(),
        "guides": guides.guide_list(),
    })


@login_required
def guide_detail(request, slug):
    guide = guides.guide_get(slug)
    if guide is None:
        raise Http404("No such guide")
    return render(request, "devportal/guide.html", {"guide": guide, "html": render_markdown(guide.markdown)})


@login_required
def api_detail(request, slug):
    product = _product(request, slug)
    publication = apim_selectors.publication_for(actor=request.user, product=product)
    spec = generators.ProductSpec.of(product)
    via, target = _target(request, publication)
    grant = apim_selectors.my_active_grant_for(actor=request.user, product=product)
    can_expose = authz.can(request.user, "marketplace.change_dataproduct", product)
    return render(request, "devportal/api_detail.html", {
        "product": product,
        "spec": spec,
        "publication": publication,
        "via": via,
        "targets": _targets(request, publication),
        "snippets": [generators.snippet(kind, spec, target) for kind in generators.SNIPPETS],
        "dtos": [generators.dto(kind, spec, base_url=_base_url(request)) for kind in generators.DTOS],
        "filters": [c for c in spec.columns if c.is_scopable],
        "rows_url": spec.path,
        "grant": grant,
        "can_expose": can_expose,
        "gateway_url": targets_url(request, publication),
    })


def targets_url(request, publication) -> str:
    target = _targets(request, publication).get("apim")
    return target.base_url if target else ""


@login_required
def api_openapi(request, slug):
    product = _product(request, slug)
    document = product_openapi(product, server_url=_base_url(request))
    response = JsonResponse(document, json_dumps_params={"indent": 2})
    if request.GET.get("download"):
        response["Content-Disposition"] = f'attachment; filename="{product.slug}.openapi.json"'
    return response


@login_required
def api_swagger(request, slug):
    product = _product(request, slug)
    return render(request, "devportal/swagger.html", {
        "product": product,
        "openapi_url": reverse("devportal_openapi", args=[product.slug]),
    })


def _download(artefact: generators.Artefact, inline: bool) -> HttpResponse:
    response = HttpResponse(artefact.text, content_type=f"{artefact.content_type}; charset=utf-8")
    if not inline:
        response["Content-Disposition"] = f'attachment; filename="{artefact.filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
def api_snippet(request, slug, kind):
    product = _product(request, slug)
    if kind not in generators.SNIPPETS:
        raise Http404(f"No {kind} snippet")
    publication = apim_selectors.publication_for(actor=request.user, product=product)
    _, target = _target(request, publication)
    return _download(generators.snippet(kind, generators.ProductSpec.of(product), target), "inline" in request.GET)


@login_required
def api_dto(request, slug, kind):
    product = _product(request, slug)
    if kind not in generators.DTOS:
        raise Http404(f"No {kind} DTO")
    artefact = generators.dto(kind, generators.ProductSpec.of(product), base_url=_base_url(request))
    return _download(artefact, "inline" in request.GET)


# --- Expose as API ---------------------------------------------------------------------------


@login_required
def product_expose(request, slug):
    product = product_selectors.product_get(actor=request.user, slug=slug)
    authz.require(request.user, "marketplace.change_dataproduct", product)
    publication = apim_selectors.publication_for(actor=request.user, product=product)
    tiers = apim_selectors.tier_list(actor=request.user)
    initial = {"tier": publication.tier} if publication else {}
    form = ExposeForm(request.POST or None, tiers=tiers, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                apim_services.apim_publish(actor=request.user, product=product, tier=form.cleaned_data["tier"])
            except ValidationError as exc:
                for field, errors in getattr(exc, "message_dict", {None: exc.messages}).items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                messages.success(request, f"{product.name} is being published to API Management.")
                return redirect("devportal_expose", slug=product.slug)
        status = 400
    return render(request, "devportal/expose.html", {
        "product": product, "publication": publication, "form": form, "tiers": tiers,
        "apim_configured": apim_services.apim_configured(),
    }, status=status)


@login_required
@require_POST
def product_unpublish(request, slug):
    product = product_selectors.product_get(actor=request.user, slug=slug)
    authz.require(request.user, "marketplace.change_dataproduct", product)
    try:
        apim_services.apim_unpublish(actor=request.user, product=product)
        messages.success(request, f"{product.name} is being removed from API Management.")
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("devportal_expose", slug=product.slug)


# --- Keys -------------------------------------------------------------------------------------------


@login_required
def key_list(request):
    return render(request, "devportal/keys.html", {"subscriptions": apim_selectors.subscription_list(actor=request.user)})


def _keys_page(request, grant, *, keys=None, status=200, form=None):
    subscription = apim_selectors.subscription_list(actor=request.user).filter(grant=grant).first()
    return render(request, "devportal/key_detail.html", {
        "grant": grant, "subscription": subscription, "keys": keys, "form": form or RegenerateForm(),
        "gateway_url": (settings.APIM_GATEWAY_URL or "").rstrip("/"),
        "api_path": apim_services.apim_path(grant.product) if subscription else "",
    }, status=status)


@login_required
def key_detail(request, grant_id):
    """GET: the subscription; POST: read its keys from APIM now (shown once on this response, never stored)."""
    grant = apim_selectors.my_grant_get(actor=request.user, pk=grant_id)
    if request.method != "POST":
        return _keys_page(request, grant)
    try:
        keys = apim_services.api_subscription_keys(actor=request.user, grant=grant)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
        return _keys_page(request, grant, status=400)
    except TransientAzureError:
        messages.error(request, "API Management is busy or unavailable; try again in a minute.")
        return _keys_page(request, grant, status=503)
    response = _keys_page(request, grant, keys=keys)
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def key_regenerate(request, grant_id):
    grant = apim_selectors.my_grant_get(actor=request.user, pk=grant_id)
    form = RegenerateForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose the primary or the secondary key.")
        return _keys_page(request, grant, status=400, form=form)
    try:
        apim_services.api_subscription_regenerate_key(actor=request.user, grant=grant, which=form.cleaned_data["which"])
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
        return _keys_page(request, grant, status=400, form=form)
    except TransientAzureError:
        messages.error(request, "API Management is busy or unavailable; try again in a minute.")
        return _keys_page(request, grant, status=503, form=form)
    messages.success(request, f"Your {form.cleaned_data['which']} key was regenerated; the old one no longer works.")
    return redirect("devportal_key_detail", grant_id=grant.pk)


# --- Inventory and templates ----------------------------------------------------------------------


@login_required
def apim_inventory(request):
    authz.require(request.user, "marketplace.view_apim_inventory")
    inventory, problem, status = None, "", 200
    try:
        inventory = read_inventory(actor=request.user)
    except ValidationError as exc:
        problem = " ".join(exc.messages)
    except TransientAzureError:
        problem, status = "API Management is busy or unavailable; try again in a minute.", 503
    except AzureError as exc:  # an APIM error we cannot fix here: say so instead of a 500
        problem, status = f"API Management answered with an error: {exc}", 502
    return render(request, "devportal/inventory.html", {"inventory": inventory, "problem": problem}, status=status)


@login_required
def template_gallery(request):
    templates = bicep.template_gallery()
    return render(request, "devportal/templates.html", {"templates": templates})
