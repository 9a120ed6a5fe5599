"""Catalog fixtures: products built through marketplace.services, in the shared tenant's Finance domain."""

import pytest

from marketplace import services
from marketplace.choices import ProductRole
from tests import factories


def make_product(actor, domain, name, *, publish=True, columns=None, **fields):
    product = services.product_create(actor=actor, domain=domain, name=name, columns=columns or [], **fields)
    if publish:
        product = services.product_publish(actor=actor, product=product)
    return product


@pytest.fixture
def product(platform_owner, domain):
    """A published General product of the Finance domain, with a schema."""
    return make_product(
        platform_owner, domain, "General ledger entries", sensitivity="general",
        description="Every **posted** journal line.", tags=["ledger", "accounting"],
        columns=[
            {"name": "entry_id", "data_type": "bigint"},
            {"name": "region", "data_type": "text", "is_scopable": True},
            {"name": "amount", "data_type": "numeric(18,2)", "classification": "financial"},
        ],
    )


@pytest.fixture
def product_owner(tenant, platform_owner, product):
    user = factories.make_user(tenant, "product.owner@contoso.example")
    services.product_assign_role(actor=platform_owner, product=product, user=user, role=ProductRole.OWNER)
    return user


@pytest.fixture
def product_steward(tenant, platform_owner, product):
    user = factories.make_user(tenant, "product.steward@contoso.example")
    services.product_assign_role(actor=platform_owner, product=product, user=user, role=ProductRole.STEWARD)
    return user
