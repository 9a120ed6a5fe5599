"""Catalog mutations: each calls the service REST and the pages call, and reports typed errors.

A mutation never raises for a refusal: it answers ``product: null`` with ``errors { field code message }``
(NOT_FOUND when the product is hidden or missing, PERMISSION_DENIED when visible but not yours to change,
INVALID when the service refuses the change). The services check the policy before writing, so a refused
mutation changes nothing.
"""

from __future__ import annotations

import graphene

from loom_portal.graphql.errors import invalid
from loom_portal.graphql.mutations import ServiceMutation
from marketplace import selectors, services
from marketplace.graphql.types import ProductType

NOTE_MAX_LENGTH = 280


class _ProductMutation(ServiceMutation):
    """Find the product the actor may see, check ``perm``, call the service, answer the product or errors."""

    class Meta:
        abstract = True

    perm = "marketplace.change_dataproduct"
    key_argument = "slug"
    noun = "data product"

    product = graphene.Field(ProductType, description="The product after the change; null when refused.")

    @classmethod
    def find(cls, actor, slug):
        return selectors.product_get(actor=actor, slug=slug)

    @classmethod
    def answer(cls, actor, product, result):
        return {"product": selectors.product_get(actor=actor, slug=product.slug)}


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
