"""Lineage as a picture: the product page draws upstream → product → downstream as an inline SVG, rendered on
the server (no script, nothing from another host), external sources styled apart, invisible products left out."""

import re

import pytest

from marketplace import services
from tests.marketplace.conftest import make_product


def svg_of(html: str) -> str:
    match = re.search(r'<svg class="lineage".*?</svg>', html, re.S)
    assert match, "no lineage picture on the page"
    return match.group(0)


def nodes(svg: str, side: str) -> list[tuple[str, str]]:
    """(kind, label) of the boxes on one side of the picture."""
    found = re.findall(rf'<g class="lineage-node [^"]*" data-side="{side}" data-kind="(\w+)">.*?<text[^>]*>([^<]*)</text>',
                       svg, re.S)
    return [(kind, label) for kind, label in found]


@pytest.mark.django_db
def test_the_product_page_draws_its_lineage(signed_in, product, platform_owner, domain, consumer):
    report = make_product(platform_owner, domain, "Cost report")
    budget = make_product(platform_owner, domain, "Budget vs actuals")
    services.product_add_lineage(actor=platform_owner, product=product, external_source="SAP S/4HANA")
    services.product_add_lineage(actor=platform_owner, product=report, upstream=product)
    services.product_add_lineage(actor=platform_owner, product=budget, upstream=product)
    svg = svg_of(signed_in(consumer).get(f"/catalog/{product.slug}/").content.decode())
    assert nodes(svg, "upstream") == [("external", "SAP S/4HANA")]
    assert sorted(nodes(svg, "downstream")) == [("product", "Budget vs actuals"), ("product", "Cost report")]
    assert nodes(svg, "current") == [("current", "General ledger entries")]
    assert 'stroke-dasharray' in svg.split('data-kind="external"')[1].split("</g>")[0]  # external sources look apart
    assert f'href="/catalog/{report.slug}/"' in svg
    assert svg.count('class="lineage-edge"') == 3  # one curve per edge
    assert "<script" not in svg and "http://" not in svg.replace('xmlns="http://www.w3.org/2000/svg"', "")


@pytest.mark.django_db
def test_products_the_viewer_may_not_see_are_left_out_of_the_picture(signed_in, product, platform_owner, domain,
                                                                     consumer):
    hidden = make_product(platform_owner, domain, "Fraud investigations", sensitivity="highly_confidential",
                          discoverability="hidden")
    draft = make_product(platform_owner, domain, "Unreleased forecast", publish=False)
    visible = make_product(platform_owner, domain, "Cost report")
    for downstream in (hidden, draft, visible):
        services.product_add_lineage(actor=platform_owner, product=downstream, upstream=product)
    html = signed_in(consumer).get(f"/catalog/{product.slug}/").content.decode()
    svg = svg_of(html)
    assert nodes(svg, "downstream") == [("product", "Cost report")]
    assert "Fraud investigations" not in html and "Unreleased forecast" not in html
    owner_svg = svg_of(signed_in(platform_owner).get(f"/catalog/{product.slug}/").content.decode())
    assert sorted(label for _, label in nodes(owner_svg, "downstream")) == [
        "Cost report", "Fraud investigations", "Unreleased forecast"]


@pytest.mark.django_db
def test_long_names_are_shortened_with_the_full_name_in_a_tooltip(signed_in, product, platform_owner, consumer):
    source = "Enterprise resource planning system of the northern region"
    services.product_add_lineage(actor=platform_owner, product=product, external_source=source)
    svg = svg_of(signed_in(consumer).get(f"/catalog/{product.slug}/").content.decode())
    [(_, label)] = nodes(svg, "upstream")
    assert label.endswith("…") and len(label) <= 28
    assert f"<title>{source} (external source)</title>" in svg


@pytest.mark.django_db
def test_no_picture_without_lineage(signed_in, product, consumer):
    html = signed_in(consumer).get(f"/catalog/{product.slug}/").content.decode()
    assert 'data-testid="lineage-graph"' not in html


@pytest.mark.django_db
def test_names_are_escaped_in_the_picture(signed_in, product, platform_owner, consumer):
    services.product_add_lineage(actor=platform_owner, product=product, external_source="<script>x</script> & co")
    svg = svg_of(signed_in(consumer).get(f"/catalog/{product.slug}/").content.decode())
    assert "<script>" not in svg and "&lt;script&gt;x&lt;/script&gt; &amp; co" in svg
