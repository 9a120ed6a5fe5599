"""Catalog mutations: each calls the service REST and the pages call, and reports typed errors.

A mutation never raises for a refusal: it answers ``product: null`` with ``errors { field code message }``
(NOT_FOUND when the product is hidden or missing, PERMISSION_DENIED when visible but not yours to change,
INVALID when the service refuses the change). The services check the policy before writing, so a refused
mutation changes nothing.
"""

from __future__ import annotations

import graphene

from loom_portal import authz
from loom_portal.graphql.errors import REPORTED, invalid, mutation_errors
from loom_portal.graphql.types import FieldError
from marketplace import selectors, services
from marketplace.graphql.types import ProductType

NOTE_MAX_LENGTH = 280


class _ProductMutation(graphene.Mutation):
    """Find the product the actor may see, check ``perm``, call the service, answer the product or errors."""

    class Meta:
        abstract = True

    perm = "marketplace.change_dataproduct"

    product = graphene.Field(ProductType, description="The product after the change; null when refused.")
    errors = graphene.List(graphene.NonNull(FieldError), required=True)

    @classmethod
    def change(cls, actor, product, **arguments):  # pragma: no cover - each mutation defines it
        raise NotImplementedError

    @classmethod
    def run(cls, info, slug: str, **arguments):
        actor = info.context.user
        try:
            product = selectors.product_get(actor=actor, slug=slug)
            authz.require(actor, cls.perm, product)
            cls.change(actor, product, **arguments)
        except REPORTED as exc:
            return cls(product=None, errors=mutation_errors(exc, not_found_field="slug",
                                                             not_found=f"No data product {slug!r} is visible to you."))
        return cls(product=selectors.product_get(actor=actor, slug=slug), errors=[])


class PublishProduct(_ProductMutation):
    """Publish a draft (or deprecated) product: every member of the tenant sees it."""

    class Meta:
        name = "PublishProductPayload"

    class Arguments:
        slug = graphene.String(required=True)

    @classmethod
    def change(cls, actor, product):
        services.product_publish(actor=actor, product=product)

    @classmethod
    def mutate(cls, root, info, slug):
        return cls.run(info, slug)


class DeprecateProduct(_ProductMutation):
    """Deprecate a published product: still listed, flagged for consumers to move off it."""

    class Meta:
        name = "DeprecateProductPayload"

    class Arguments:
        slug = graphene.String(required=True)
        note = graphene.String(description=f"Why, and what to use instead (at most {NOTE_MAX_LENGTH} characters).")

    @classmethod
    def change(cls, actor, product, note):
        services.product_deprecate(actor=actor, product=product, note=note)

    @classmethod
    def mutate(cls, root, info, slug, note=None):
        note = " ".join((note or "").split())
        if len(note) > NOTE_MAX_LENGTH:
            return cls(product=None, errors=invalid("note", f"Use at most {NOTE_MAX_LENGTH} characters."))
        return cls.run(info, slug, note=note)


class CatalogMutation(graphene.ObjectType):
    publish_product = PublishProduct.Field()
    deprecate_product = DeprecateProduct.Field()
