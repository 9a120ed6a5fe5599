"""Descriptions render as safe Markdown; freshness is computed from the SLA and the last refresh."""

from datetime import timedelta

import pytest
from django.utils import timezone

from marketplace import services
from marketplace.rendering import render_markdown


def test_markdown_is_rendered_and_scripts_images_and_raw_html_are_removed():
    html = render_markdown(
        "# Title\n\n**bold** and [link](https://example.org)\n\n<script>alert(1)</script>\n\n"
        "<img src=x onerror=alert(1)>\n\n![remote](https://cdn.example.org/x.png)\n\n| a | b |\n|---|---|\n| 1 | 2 |"
    )
    assert "<h1>Title</h1>" in html and "<strong>bold</strong>" in html
    assert '<a href="https://example.org" rel="noopener noreferrer">link</a>' in html
    assert "<script" not in html and "<img" not in html and "onerror" not in html
    assert "<table>" in html


@pytest.mark.django_db
@pytest.mark.parametrize(("hours_ago", "state"), [(None, "unknown"), (1, "fresh"), (30, "late"), (50, "stale")])
def test_freshness_is_fresh_within_the_sla_late_within_twice_it_and_stale_beyond(product, platform_owner, hours_ago, state):
    product = services.product_update(actor=platform_owner, product=product, freshness_sla_hours=24)
    if hours_ago is not None:
        product = services.product_record_refresh(
            actor=platform_owner, product=product, refreshed_at=timezone.now() - timedelta(hours=hours_ago)
        )
    assert product.freshness == state


@pytest.mark.django_db
def test_a_refresh_in_the_future_is_refused(product, platform_owner):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as refused:
        services.product_record_refresh(actor=platform_owner, product=product, refreshed_at=timezone.now() + timedelta(days=1))
    assert "refreshed_at" in refused.value.message_dict
