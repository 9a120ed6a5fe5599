"""The APIM inventory lists every API and product of the instance, with products and subscription counts."""

import pytest
from django.core.exceptions import ValidationError

from marketplace.apim.inventory import apim_inventory


def test_the_inventory_lists_other_teams_apis_with_their_products_and_subscription_counts(apim, consumer):
    apim.add_api("orders-func", display_name="Orders Function", path="orders", service_url="https://func.example")
    apim.add_api("chat-ai", display_name="Chat completions", path="ai/chat")
    apim.add_api("weather", display_name="Weather", path="weather")
    apim.add_product("starter", display_name="Starter", api_ids=["orders-func", "chat-ai"])
    apim.add_product("unlimited", display_name="Unlimited", api_ids=["chat-ai"])
    apim.add_subscription("s1", product_id="starter")
    apim.add_subscription("s2", product_id="starter", state="suspended")
    apim.add_subscription("s3", product_id="unlimited")

    inventory = apim_inventory(actor=consumer)

    assert [a.name for a in inventory.apis] == ["chat-ai", "orders-func", "weather"]  # three pages of two
    chat = inventory.apis[0]
    assert chat.products == ["Starter", "Unlimited"] and chat.path == "ai/chat" and not chat.managed_by_portal
    starter = next(p for p in inventory.products if p.name == "starter")
    assert (starter.subscriptions, starter.active_subscriptions) == (2, 1)
    assert starter.api_names == ["chat-ai", "orders-func"]
    assert any("$skip" in r.query for r in apim.requests if r.path.endswith("/apis"))


def test_the_inventory_hides_apis_the_portal_manages_for_another_tenant(exposed, apim, consumer, other_tenant_user):
    apim.add_api("shared-func", display_name="Shared", path="shared")

    mine = apim_inventory(actor=consumer)
    theirs = apim_inventory(actor=other_tenant_user)

    assert {a.name for a in mine.apis} == {exposed.apim_api_id, "shared-func"}
    assert {a.name for a in theirs.apis} == {"shared-func"}
    assert exposed.apim_product_id not in {p.name for p in theirs.products}


def test_without_apim_configured_the_inventory_says_so(consumer, settings):
    settings.APIM_SERVICE_NAME = ""
    with pytest.raises(ValidationError, match="not configured"):
        apim_inventory(actor=consumer)
