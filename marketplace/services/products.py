"""Product writes: create, update, schema, refresh, lineage, status and roles."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.postgres.search import SearchVector
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import TextField, Value
from django.utils import timezone
from django.utils.text import slugify
from guardian.shortcuts import assign_perm, remove_perm

from loom_portal import audit, authz
from loom_portal.choices import SensitivityLabel
from marketplace.choices import Discoverability, ProductKind, ProductRole, ProductStatus
from marketplace.listings import enqueue_listing_sync
from marketplace.models import (
    DataProduct,
    LineageEdge,
    ProductChange,
    ProductColumn,
    ProductTag,
    ProductUserObjectPermission,
)
from marketplace.search import search_words_add
from marketplace.services._validation import EDITABLE_FIELDS, clean_columns, clean_fields

SEARCH_CONFIG = "english"

# --- Helpers --------------------------------------------------------------------


def _freshness_window(product: DataProduct) -> None:
    if product.freshness_sla_hours and product.last_refreshed_at:
        sla = timedelta(hours=product.freshness_sla_hours)
        product.fresh_until = product.last_refreshed_at + sla
        product.late_until = product.last_refreshed_at + 2 * sla
    else:
        product.fresh_until = product.late_until = None


def _set_tags(product: DataProduct, tags: list[str]) -> None:
    product.tags.exclude(name__in=tags).delete()
    existing = set(product.tags.values_list("name", flat=True))
    ProductTag.objects.bulk_create([ProductTag(product=product, name=t) for t in tags if t not in existing])


def _write_columns(product: DataProduct, columns: list[dict]) -> None:
    product.columns.all().delete()
    ProductColumn.objects.bulk_create([ProductColumn(product=product, **c) for c in columns])


def reindex(product: DataProduct) -> None:
    """Rewrite the product's search document (and, on PostgreSQL, its weighted tsvector)."""
    tags = list(product.tags.values_list("name", flat=True))
    # A Highly Confidential product's details are shown on request only: its description and columns
    # must not be discoverable through search either.
    restricted = product.sensitivity == SensitivityLabel.HIGHLY_CONFIDENTIAL
    columns = [] if restricted else list(product.columns.values_list("name", "description"))
    description = "" if restricted else product.description
    terms = list(product.glossary_terms or [])
    column_words = " ".join(f"{n.replace('_', ' ')} {d}" for n, d in columns)
    update = {"search_document": " ".join([product.name, *tags, *terms, *(n.replace("_", " ") for n, _ in columns)])}
    if connection.vendor == "postgresql":

        def vector(text, weight):
            return SearchVector(Value(text, output_field=TextField()), weight=weight, config=SEARCH_CONFIG)

        update["search_vector"] = (
            vector(product.name, "A")
            + vector(" ".join(tags + terms), "B")
            + vector(f"{description} {column_words}", "C")
        )
    DataProduct.objects.filter(pk=product.pk).update(**update)
    search_words_add(update["search_document"])


def _record_change(product: DataProduct, actor, summary: str, changes: dict | None = None) -> None:
    ProductChange.objects.create(
        product=product,
        version=product.version,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        summary=summary,
        changes=changes or {},
    )


def _locked(product: DataProduct) -> DataProduct:
    return DataProduct.objects.select_for_update().get(pk=product.pk)


# --- Create and update ------------------------------------------------------------


@transaction.atomic
def product_create(
    *,
    actor,
    domain,
    name: str,
    kind: str = ProductKind.TABLE,
    slug: str = "",
    workspace=None,
    description: str = "",
    sensitivity: str | None = None,
    discoverability: str = Discoverability.DISCOVERABLE,
    tags=(),
    glossary_terms=(),
    source_engine: str = "",
    source_database: str = "",
    source_schema: str = "",
    source_table: str = "",
    source_path: str = "",
    freshness_sla_hours: int | None = None,
    columns=(),
    owners=(),
) -> DataProduct:
    """Create a draft product in ``domain``. The actor (when a member of the tenant) becomes an owner."""
    if not authz.can(actor, "marketplace.add_dataproduct"):
        raise PermissionError("Only platform owners and the owners or stewards of a domain register data products.")
    if domain is None:
        raise ValidationError({"domain": "Choose the product's domain."})
    if not actor.is_superuser and domain.tenant_id != actor.tenant_id:
        raise ValidationError({"domain": "The domain belongs to another tenant."})
    if not actor.is_platform_owner and not actor.is_superuser:
        authz.require(actor, "domains.steward_domain", domain)
    tenant = domain.tenant
    values = clean_fields(
        tenant=tenant,
        domain=domain,
        values={
            "name": name, "kind": kind, "description": description, "workspace": workspace,
            "sensitivity": sensitivity or domain.default_sensitivity, "discoverability": discoverability,
            "tags": list(tags), "glossary_terms": list(glossary_terms), "source_engine": source_engine,
            "source_database": source_database, "source_schema": source_schema, "source_table": source_table,
            "source_path": source_path, "freshness_sla_hours": freshness_sla_hours,
        },
    )
    column_rows = clean_columns(list(columns))
    slug = slugify(slug or values["name"])[:120].strip("-")
    if not slug:
        raise ValidationError({"slug": "The slug must contain letters or digits."})
    if DataProduct.objects.filter(tenant=tenant, slug=slug).exists():
        raise ValidationError({"slug": f"A data product with slug {slug!r} already exists."})
    tag_list = values.pop("tags")
    product = DataProduct(tenant=tenant, domain=domain, slug=slug, **values)
    _freshness_window(product)
    product.save()
    _set_tags(product, tag_list)
    _write_columns(product, column_rows)
    _record_change(product, actor, "Created", {"status": ProductStatus.DRAFT})
    audit.record(actor=actor, action="product.created", target=product, data={"slug": slug, "domain": domain.slug})
    people = list(owners) or ([actor] if actor.tenant_id == tenant.pk else [])
    for person in people:
        product_assign_role(actor=None, product=product, user=person, role=ProductRole.OWNER, assigned_by=actor)
    reindex(product)
    return product


@transaction.atomic
def product_update(*, actor, product: DataProduct, **fields) -> DataProduct:
    """Change editable fields (see EDITABLE_FIELDS). Each effective change bumps the version and is recorded."""
    unknown = sorted(set(fields) - set(EDITABLE_FIELDS))
    if unknown:
        raise ValidationError({unknown[0]: "This field cannot be changed here."})
    authz.require(actor, "marketplace.change_dataproduct", product)
    product = _locked(product)
    values = clean_fields(tenant=product.tenant, domain=product.domain, values=fields)
    changed = []
    if "tags" in values:
        tags = values.pop("tags")
        if sorted(tags) != sorted(product.tags.values_list("name", flat=True)):
            _set_tags(product, tags)
            changed.append("tags")
    for field, value in values.items():
        current = getattr(product, field)
        if current != value:
            setattr(product, field, value)
            changed.append(field)
    if changed:
        product.version += 1
        _freshness_window(product)
        product.save()
        _record_change(product, actor, "Updated " + ", ".join(f.replace("_", " ") for f in changed), {"fields": changed})
        audit.record(actor=actor, action="product.updated", target=product, data={"changes": changed, "version": product.version})
        reindex(product)
        enqueue_listing_sync(product)
    return product


@transaction.atomic
def product_set_columns(*, actor, product: DataProduct, columns) -> DataProduct:
    """Replace the product's schema. A changed schema bumps the version."""
    authz.require(actor, "marketplace.change_dataproduct", product)
    product = _locked(product)
    cleaned = clean_columns(columns)
    keys = ("position", "name", "data_type", "description", "classification", "is_nullable", "is_scopable")
    current = [{k: getattr(c, k) for k in keys} for c in product.columns.order_by("position")]
    if current == cleaned:
        return product
    _write_columns(product, cleaned)
    product.version += 1
    product.save(update_fields=["version", "updated_at"])
    _record_change(product, actor, f"Schema changed ({len(cleaned)} columns)", {"columns": [c["name"] for c in cleaned]})
    audit.record(actor=actor, action="product.columns_changed", target=product, data={"columns": len(cleaned)})
    reindex(product)
    enqueue_listing_sync(product)
    return product


@transaction.atomic
def product_record_refresh(*, actor, product: DataProduct, refreshed_at=None) -> DataProduct:
    """Record that the product's data was refreshed (now, unless ``refreshed_at`` is given)."""
    authz.require(actor, "marketplace.change_dataproduct", product)
    refreshed_at = refreshed_at or timezone.now()
    if refreshed_at > timezone.now() + timedelta(minutes=5):
        raise ValidationError({"refreshed_at": "The refresh time is in the future."})
    product = _locked(product)
    product.last_refreshed_at = refreshed_at
    _freshness_window(product)
    product.save(update_fields=["last_refreshed_at", "fresh_until", "late_until", "updated_at"])
    audit.record(actor=actor, action="product.refreshed", target=product, data={"at": refreshed_at.isoformat()})
    enqueue_listing_sync(product)
    return product


@transaction.atomic
def product_add_lineage(*, actor, product: DataProduct, upstream: DataProduct | None = None, external_source: str = "") -> LineageEdge:
    """Record that ``upstream`` (a product of the same tenant, or an external source by name) feeds ``product``."""
    authz.require(actor, "marketplace.change_dataproduct", product)
    external_source = " ".join((external_source or "").split())
    if (upstream is None) == (not external_source):
        raise ValidationError({"upstream": "Give either an upstream product or an external source, not both."})
    if upstream is not None:
        if upstream.tenant_id != product.tenant_id or not authz.can(actor, "marketplace.view_dataproduct", upstream):
            raise ValidationError({"upstream": "No such upstream product."})
        if upstream.pk == product.pk:
            raise ValidationError({"upstream": "A product cannot feed itself."})
        edge, created = LineageEdge.objects.get_or_create(downstream=product, upstream=upstream)
    else:
        if len(external_source) > 300:
            raise ValidationError({"external_source": "Use at most 300 characters."})
        edge, created = LineageEdge.objects.get_or_create(downstream=product, upstream=None, external_source=external_source)
    if created:
        audit.record(actor=actor, action="product.lineage_added", target=product, data={"upstream": str(edge.upstream or edge.external_source)})
    return edge


# --- Status -----------------------------------------------------------------------


def _transition(*, actor, product, to: str, allowed_from: tuple, verb: str, note: str = "") -> DataProduct:
    authz.require(actor, "marketplace.change_dataproduct", product)
    product = _locked(product)
    if product.status not in allowed_from:
        names = " or ".join(ProductStatus(s).label.lower() for s in allowed_from)
        raise ValidationError(
            {"status": f"Only {names} products can be {verb}; {product.name} is {product.get_status_display().lower()}."}
        )
    before = product.status
    product.status = to
    if to == ProductStatus.PUBLISHED and product.published_at is None:
        product.published_at = timezone.now()
    product.save(update_fields=["status", "published_at", "updated_at"])
    _record_change(product, actor, verb.capitalize() + (f": {note}" if note else ""), {"status": [before, to]})
    audit.record(actor=actor, action=f"product.{verb}", target=product, data={"from": before, "note": note})
    enqueue_listing_sync(product)  # publish upserts the Cosmos listing; retire (or a draft) deletes it
    return product


@transaction.atomic
def product_publish(*, actor, product: DataProduct) -> DataProduct:
    """Draft (or deprecated) → published: the product is listed for the tenant."""
    return _transition(actor=actor, product=product, to=ProductStatus.PUBLISHED,
                       allowed_from=(ProductStatus.DRAFT, ProductStatus.DEPRECATED), verb="published")


@transaction.atomic
def product_deprecate(*, actor, product: DataProduct, note: str = "") -> DataProduct:
    """Published → deprecated: still listed, flagged for consumers to move off it."""
    return _transition(actor=actor, product=product, to=ProductStatus.DEPRECATED,
                       allowed_from=(ProductStatus.PUBLISHED,), verb="deprecated", note=note)


@transaction.atomic
def product_retire(*, actor, product: DataProduct, note: str = "") -> DataProduct:
    """Any live status → retired: no longer listed; editors still see it."""
    return _transition(actor=actor, product=product, to=ProductStatus.RETIRED,
                       allowed_from=(ProductStatus.DRAFT, ProductStatus.PUBLISHED, ProductStatus.DEPRECATED),
                       verb="retired", note=note)


# --- Owners and stewards (django-guardian object permissions) -------------------------


def _role_perm(role: str) -> str:
    if role not in ProductRole.values:
        raise ValidationError({"role": f"Choose one of: {', '.join(ProductRole.values)}."})
    return f"marketplace.{role}"


@transaction.atomic
def product_assign_role(*, actor, product: DataProduct, user, role: str, assigned_by=None) -> bool:
    """Make ``user`` an owner or steward of ``product``. Returns False when they already were.

    ``actor=None`` is the system (e.g. ``product_create`` making the creator an owner, ``assigned_by``
    naming who caused it)."""
    perm = _role_perm(role)
    if actor is not None:
        authz.require(actor, "marketplace.manage_product_roles", product)
    if user is None or user.tenant_id != product.tenant_id:
        raise ValidationError({"user": "The user belongs to another tenant."})
    if not user.is_active:
        raise ValidationError({"user": "The user is deactivated."})
    if ProductUserObjectPermission.objects.filter(user=user, content_object=product, permission__codename=role).exists():
        return False
    assign_perm(perm, user, product)
    audit.record(actor=actor or assigned_by, action=f"product.{role}.assigned", target=product,
                 data={"user_id": user.pk, "user": str(user)})
    return True


@transaction.atomic
def product_remove_role(*, actor, product: DataProduct, user, role: str) -> bool:
    """Take an owner or steward role away. Returns False when the user did not hold it."""
    perm = _role_perm(role)
    authz.require(actor, "marketplace.manage_product_roles", product)
    if not ProductUserObjectPermission.objects.filter(user=user, content_object=product, permission__codename=role).exists():
        return False
    remove_perm(perm, user, product)
    audit.record(actor=actor, action=f"product.{role}.removed", target=product, data={"user_id": user.pk, "user": str(user)})
    return True
