"""Authorization rules for data products (see loom_portal.authz).

Editors of a product are its owners and stewards (object permissions), the owners and
stewards of its domain, and the tenant's platform owners. Every member of the tenant
sees published and deprecated products, except Highly Confidential ones marked hidden;
drafts and retired products are seen by editors only. A Highly Confidential product
marked discoverable is listed for everyone, but its details (schema, lineage,
description) only show to editors — others ask for access.
"""

from django.db.models import Q

from domains.selectors import domain_ids_for
from loom_portal import authz
from loom_portal.choices import SensitivityLabel
from marketplace.choices import LISTED_STATUSES, Discoverability, ProductRole, ProductStatus
from marketplace.models import (
    AccessRequest,
    ApiKey,
    DataProduct,
    Grant,
    ProductGroupObjectPermission,
    ProductUserObjectPermission,
)


def products_where(actor, *roles: str):
    """Subquery of the ids of products on which ``actor`` holds one of ``roles`` (directly or through a group)."""
    codenames = list(roles)
    direct = ProductUserObjectPermission.objects.filter(user=actor, permission__codename__in=codenames)
    via_group = ProductGroupObjectPermission.objects.filter(group__user=actor, permission__codename__in=codenames)
    return direct.values("content_object").union(via_group.values("content_object"))


def editors_q(actor) -> Q:
    """Products ``actor`` may edit: product owners/stewards, domain owners/stewards (platform owners: see rules).

    Never returns the empty ``authz.ALL``: ``X | Q()`` is ``X`` in Django, so each rule answers
    platform owners itself."""
    return Q(pk__in=products_where(actor, ProductRole.OWNER, ProductRole.STEWARD)) | Q(
        domain__in=domain_ids_for(actor=actor, perm="domains.steward_domain")
    )


def _hidden_q() -> Q:
    return Q(sensitivity=SensitivityLabel.HIGHLY_CONFIDENTIAL, discoverability=Discoverability.HIDDEN)


def _restricted_q() -> Q:
    return Q(sensitivity=SensitivityLabel.HIGHLY_CONFIDENTIAL)


@authz.register("marketplace.view_dataproduct", model=DataProduct)
def _view_dataproduct(actor):
    if actor.is_platform_owner:
        return authz.ALL
    return (Q(status__in=LISTED_STATUSES) & ~_hidden_q()) | editors_q(actor)


@authz.register("marketplace.view_dataproduct_details", model=DataProduct, visible_via="marketplace.view_dataproduct")
def _view_dataproduct_details(actor):
    """Schema, lineage and description: everyone who sees it, except Highly Confidential (editors only, for now)."""
    if actor.is_platform_owner:
        return authz.ALL
    return (Q(status__in=LISTED_STATUSES) & ~_restricted_q()) | editors_q(actor)


@authz.register("marketplace.add_dataproduct")
def _add_dataproduct(actor):
    """Platform owners, and owners or stewards of at least one domain (the service checks the chosen domain)."""
    return actor.is_platform_owner or domain_ids_for(actor=actor, perm="domains.steward_domain").exists()


@authz.register("marketplace.change_dataproduct", model=DataProduct, visible_via="marketplace.view_dataproduct")
def _change_dataproduct(actor):
    """Edit, publish, deprecate and retire."""
    return authz.ALL if actor.is_platform_owner else editors_q(actor)


@authz.register("marketplace.manage_product_roles", model=DataProduct, visible_via="marketplace.view_dataproduct")
def _manage_product_roles(actor):
    """Assign owners and stewards: product owners, the domain's owners, platform owners."""
    if actor.is_platform_owner:
        return authz.ALL
    return Q(pk__in=products_where(actor, ProductRole.OWNER)) | Q(
        domain__in=domain_ids_for(actor=actor, perm="domains.change_domain")
    )


# --- Access requests, grants and API keys -------------------------------------------------------------
#
# Reviewers of a request are the product's editors (its owners and stewards, the domain's owners and
# stewards); a Highly Confidential request's second step belongs to the domain's owners. Nobody reviews
# their own request. Consumers see their own requests, grants and keys.

def _product_editors_q(actor, prefix: str) -> Q:
    editable = DataProduct.objects.filter(editors_q(actor)).values("pk")
    return Q(**{f"{prefix}__in": editable})


@authz.register("marketplace.request_access", model=DataProduct, visible_via="marketplace.view_dataproduct")
def _request_access(actor):
    """Any member who sees a published product may ask for it."""
    return Q(status=ProductStatus.PUBLISHED) & ~_hidden_q()


@authz.register("marketplace.view_accessrequest", model=AccessRequest)
def _view_accessrequest(actor):
    if actor.is_platform_owner:
        return authz.ALL
    return Q(requester=actor) | _product_editors_q(actor, "product")


@authz.register("marketplace.review_accessrequest", model=AccessRequest, visible_via="marketplace.view_accessrequest")
def _review_accessrequest(actor):
    """Approve or deny: the product's editors, never the requester (platform owners included)."""
    reviewers = authz.ALL if actor.is_platform_owner else _product_editors_q(actor, "product")
    return reviewers & ~Q(requester=actor)


@authz.register("marketplace.withdraw_accessrequest", model=AccessRequest, visible_via="marketplace.view_accessrequest")
def _withdraw_accessrequest(actor):
    return Q(requester=actor)


@authz.register("marketplace.view_grant", model=Grant)
def _view_grant(actor):
    if actor.is_platform_owner:
        return authz.ALL
    return Q(grantee=actor) | _product_editors_q(actor, "product")


@authz.register("marketplace.manage_grant", model=Grant, visible_via="marketplace.view_grant")
def _manage_grant(actor):
    """Revoke, renew, recertify, confirm a DBA-applied grant: the product's editors and platform owners."""
    return authz.ALL if actor.is_platform_owner else _product_editors_q(actor, "product")


@authz.register("marketplace.relinquish_grant", model=Grant, visible_via="marketplace.view_grant")
def _relinquish_grant(actor):
    """A consumer may give up their own grant."""
    return Q(grantee=actor)


@authz.register("marketplace.view_apikey", model=ApiKey)
def _view_apikey(actor):
    return Q(user=actor)


@authz.register("marketplace.change_apikey", model=ApiKey, visible_via="marketplace.view_apikey")
def _change_apikey(actor):
    """Rotate or revoke: the key's owner."""
    return Q(user=actor)
