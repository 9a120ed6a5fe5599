"""Back office: products with read-only columns and lineage; create, edit, publish and deprecate through services."""

import pytest

from loom_portal.models import AuditEvent
from marketplace import services
from marketplace.choices import ProductStatus
from marketplace.models import DataProduct
from tests.marketplace.conftest import make_product

INLINES = {
    "columns-TOTAL_FORMS": "0", "columns-INITIAL_FORMS": "0",
    "upstream_edges-TOTAL_FORMS": "0", "upstream_edges-INITIAL_FORMS": "0",
}


@pytest.mark.django_db
def test_a_platform_owner_adds_a_product_through_the_service(signed_in, platform_owner, domain):
    response = signed_in(platform_owner).post(
        "/admin/marketplace/dataproduct/add/",
        {"name": "Vendor payments", "domain": domain.pk, "kind": "view", "discoverability": "discoverable",
         "tags_text": "payments, AP", "description": "Supplier payments."},
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    product = DataProduct.objects.get(name="Vendor payments")
    assert (product.slug, product.status, product.sensitivity) == ("vendor-payments", "draft", domain.default_sensitivity)
    assert sorted(product.tags.values_list("name", flat=True)) == ["ap", "payments"]
    assert AuditEvent.objects.filter(action="product.created", target_id=str(product.pk), actor=platform_owner).exists()


@pytest.mark.django_db
def test_a_bad_value_is_a_form_error_and_nothing_is_saved(signed_in, platform_owner, domain, product):
    response = signed_in(platform_owner).post(
        "/admin/marketplace/dataproduct/add/",
        {"name": "General ledger entries", "domain": domain.pk, "kind": "table", "discoverability": "discoverable"},
    )
    assert response.status_code == 200
    assert "already exists" in response.content.decode()
    assert DataProduct.objects.count() == 1


@pytest.mark.django_db
def test_the_change_page_shows_columns_and_lineage_read_only_and_saves_through_the_service(
    signed_in, platform_owner, product
):
    services.product_add_lineage(actor=platform_owner, product=product, external_source="SAP S/4HANA")
    client = signed_in(platform_owner)
    html = client.get(f"/admin/marketplace/dataproduct/{product.pk}/change/").content.decode()
    assert "entry_id" in html and "numeric(18,2)" in html and "SAP S/4HANA" in html
    assert 'name="columns-0-name"' not in html  # read-only
    response = client.post(
        f"/admin/marketplace/dataproduct/{product.pk}/change/",
        {"name": "GL entries", "kind": "table", "discoverability": "discoverable", "sensitivity": "confidential",
         "tags_text": "ledger", "freshness_sla_hours": "12", **INLINES},
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    product.refresh_from_db()
    assert (product.name, product.sensitivity, product.freshness_sla_hours, product.version) == ("GL entries", "confidential", 12, 2)
    assert product.columns.count() == 3  # the inline wrote nothing


@pytest.mark.django_db
def test_publish_and_deprecate_actions_go_through_the_services(signed_in, platform_owner, domain, product):
    draft = make_product(platform_owner, domain, "Vendor payments", publish=False)
    client = signed_in(platform_owner)
    client.post("/admin/marketplace/dataproduct/", {"action": "publish_selected", "_selected_action": [draft.pk, product.pk]})
    draft.refresh_from_db()
    assert draft.status == ProductStatus.PUBLISHED
    assert AuditEvent.objects.filter(action="product.published", target_id=str(draft.pk), actor=platform_owner).exists()
    response = client.post(
        "/admin/marketplace/dataproduct/", {"action": "deprecate_selected", "_selected_action": [product.pk]}, follow=True
    )
    product.refresh_from_db()
    assert product.status == ProductStatus.DEPRECATED
    assert "Deprecated 1 product." in response.content.decode()


@pytest.mark.django_db
def test_the_admin_list_shows_only_the_tenants_products_and_searches_tags(
    signed_in, platform_owner, product, other_platform_owner, other_domain
):
    make_product(other_platform_owner, other_domain, "Fabrikam ledger", tags=["ledger"])
    client = signed_in(platform_owner)
    assert list(client.get("/admin/marketplace/dataproduct/").context["cl"].queryset) == [product]
    assert list(client.get("/admin/marketplace/dataproduct/?q=accounting").context["cl"].queryset) == [product]
    html = client.get("/admin/marketplace/dataproduct/").content.decode()
    assert "Fabrikam" not in html
