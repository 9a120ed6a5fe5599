"""The catalog page (search box, facets, cards) and the product page (overview, schema, lineage, people)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from marketplace import services
from tests.marketplace.conftest import make_product


@pytest.mark.django_db
def test_the_catalog_lists_cards_with_kind_domain_label_freshness_and_tags(signed_in, product, consumer, platform_owner):
    services.product_update(actor=platform_owner, product=product, freshness_sla_hours=24)
    services.product_record_refresh(actor=platform_owner, product=product, refreshed_at=timezone.now() - timedelta(hours=30))
    response = signed_in(consumer).get("/catalog/")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-nav="catalog"' in html
    card = html[html.index('data-product="general-ledger-entries"'):]
    card = card[:card.index("</article>")]
    for text in ("General ledger entries", "Table", "Finance", "General", "Late", "ledger", "accounting",
                 "Every posted journal line."):
        assert text in card, text
    assert 'data-facet="sensitivity"' in html and 'data-value="general"' in html


@pytest.mark.django_db
def test_choosing_a_facet_narrows_the_results_and_marks_it(signed_in, product, platform_owner, domain, consumer):
    make_product(platform_owner, domain, "Vendor payments", sensitivity="confidential", kind="view")
    client = signed_in(consumer)
    response = client.get("/catalog/?sensitivity=confidential")
    assert [p.name for p in response.context["result"].page] == ["Vendor payments"]
    html = response.content.decode()
    assert 'class="selected" data-value="confidential"' in html
    assert "Clear sensitivity" in html


@pytest.mark.django_db
def test_an_invalid_filter_is_a_400_page_naming_it_not_a_500(signed_in, product, consumer):
    response = signed_in(consumer).get("/catalog/?kind=spreadsheet&page=0")
    assert response.status_code == 400
    html = response.content.decode()
    assert "kind:" in html and "page:" in html


@pytest.mark.django_db
def test_the_product_page_tells_what_it_is_who_owns_it_how_fresh_it_is_and_how_to_get_access(
    signed_in, product, platform_owner, product_steward, consumer, domain
):
    services.product_update(actor=platform_owner, product=product, freshness_sla_hours=24,
                            description="Every **posted** line.\n\n<script>alert(1)</script>\n\n[docs](javascript:alert(2))")
    services.product_record_refresh(actor=platform_owner, product=product)
    report = make_product(platform_owner, domain, "Cost report")
    services.product_add_lineage(actor=platform_owner, product=report, upstream=product)
    services.product_add_lineage(actor=platform_owner, product=product, external_source="SAP S/4HANA")
    html = signed_in(consumer).get(f"/catalog/{product.slug}/").content.decode()
    assert "<strong>posted</strong>" in html
    assert "<script>alert(1)" not in html and "javascript:" not in html
    schema = html[html.index('data-testid="schema"'):]
    assert "entry_id" in schema and "numeric(18,2)" in schema and "Financial" in schema
    assert "SAP S/4HANA" in html and 'href="/catalog/cost-report/"' in html
    assert "Fresh" in html and "every 24 hours" in html
    owners = html[html.index('data-testid="owners"'):html.index('data-testid="stewards"')]
    assert platform_owner.email in owners
    assert product_steward.email in html[html.index('data-testid="stewards"'):]
    assert f'href="/access/request/{product.slug}/" data-testid="request-access">Request access' in html


@pytest.mark.django_db
def test_lineage_does_not_reveal_products_the_visitor_cannot_see(signed_in, product, platform_owner, domain, consumer):
    secret = make_product(platform_owner, domain, "Payroll feed", sensitivity="highly_confidential", discoverability="hidden")
    services.product_add_lineage(actor=platform_owner, product=product, upstream=secret)
    assert "Payroll feed" not in signed_in(consumer).get(f"/catalog/{product.slug}/").content.decode()
    assert signed_in(consumer).get(f"/api/v1/products/{product.slug}/").json()["upstream"] == []


@pytest.mark.django_db
def test_the_domain_page_lists_its_visible_products(signed_in, product, platform_owner, domain, consumer):
    make_product(platform_owner, domain, "Draft thing", publish=False)
    html = signed_in(consumer).get(f"/domains/{domain.slug}/").content.decode()
    section = html[html.index('data-testid="domain-products"'):]
    assert "General ledger entries" in section and "Draft thing" not in section
    assert "/catalog/?domain=finance" in section


@pytest.mark.django_db
@pytest.mark.parametrize("rows", [1, 25])
def test_the_product_page_costs_a_fixed_number_of_queries(signed_in, platform_owner, domain, consumer, rows,
                                                          django_assert_num_queries):
    product = make_product(platform_owner, domain, "Wide table", tags=[f"t{n}" for n in range(rows)],
                           columns=[{"name": f"c{n}", "data_type": "int"} for n in range(rows)])
    for n in range(rows):
        services.product_add_lineage(actor=platform_owner, product=product, external_source=f"source {n}")
    client = signed_in(consumer)
    # session, user, the portal's menus, product, tags, columns, upstream, downstream, people, two permission
    # checks; the viewer's grant, open request and request right; usage (subscribers, open requests, calls per
    # day); the access menu (requests to review, reviewer check)
    with django_assert_num_queries(22):
        html = client.get(f"/catalog/{product.slug}/").content.decode()
    assert html.count("<code>c") == rows and html.count("external</small>") == rows


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "status"),
    [("search=%00", 400), ("search=%22", 200), ("search=-", 200), ("search=a%20OR%20%22b", 200), ("page=99999", 200),
     ("owner=99999999999999999999", 400), ("tag=%F0%9F%99%82", 200), ("search=the", 200)],
)
def test_odd_queries_are_answered_never_a_500(signed_in, product, consumer, query, status):
    assert signed_in(consumer).get(f"/catalog/?{query}").status_code == status
    assert signed_in(consumer).get(f"/api/v1/products/?{query}").status_code == status


@pytest.mark.django_db
def test_an_editor_deprecates_from_the_product_page_and_others_are_refused_without_effect(
    signed_in, product, product_steward, consumer, other_tenant_user
):
    from loom_portal.models import AuditEvent

    assert 'data-testid="status-actions"' not in signed_in(consumer).get(f"/catalog/{product.slug}/").content.decode()
    assert signed_in(consumer).post(f"/catalog/{product.slug}/deprecate/").status_code == 403
    assert signed_in(other_tenant_user).post(f"/catalog/{product.slug}/deprecate/").status_code == 404
    product.refresh_from_db()
    assert product.status == "published" and not AuditEvent.objects.filter(action="product.deprecated").exists()
    client = signed_in(product_steward)
    assert 'data-testid="status-actions"' in client.get(f"/catalog/{product.slug}/").content.decode()
    response = client.post(f"/catalog/{product.slug}/deprecate/", follow=True)
    assert "General ledger entries is now deprecated." in response.content.decode()
    response = client.post(f"/catalog/{product.slug}/deprecate/", follow=True)  # out of order: a message, not a 500
    assert "Only published products can be deprecated" in response.content.decode()
    product.refresh_from_db()
    assert product.status == "deprecated"
