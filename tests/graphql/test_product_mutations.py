"""publishProduct and deprecateProduct: the services REST and the pages use, typed errors, no side effect on refusal."""

import pytest

from loom_portal.models import AuditEvent
from marketplace.models import DataProduct, ProductChange
from tests.graphql.conftest import make_product

PUBLISH = """
mutation($slug: String!) {
  publishProduct(slug: $slug) { product { slug status publishedAt } errors { field code message } }
}
"""
DEPRECATE = """
mutation($slug: String!, $note: String) {
  deprecateProduct(slug: $slug, note: $note) { product { slug status } errors { field code message } }
}
"""


def snapshot(product):
    """Everything a status change writes: the product row, its history and the audit log."""
    product = DataProduct.objects.get(pk=product.pk)
    return (product.status, product.published_at, product.version, ProductChange.objects.count(),
            AuditEvent.objects.count())


@pytest.fixture
def draft(platform_owner, domain):
    return make_product(platform_owner, domain, "Mission plans", publish=False)


@pytest.mark.django_db
def test_a_steward_publishes_a_draft_and_the_change_is_recorded(gql, draft, steward):
    body = gql(steward, PUBLISH, slug=draft.slug)
    payload = body["data"]["publishProduct"]
    assert payload["errors"] == [] and payload["product"]["status"] == "PUBLISHED"
    assert payload["product"]["publishedAt"] is not None
    assert DataProduct.objects.get(pk=draft.pk).status == "published"
    event = AuditEvent.objects.filter(action="product.published").get()
    assert event.actor_id == steward.pk and event.target_id == str(draft.pk)
    assert ProductChange.objects.filter(product=draft, summary="Published").exists()


@pytest.mark.django_db
def test_a_product_owner_deprecates_with_a_note(gql, product, product_owner):
    payload = gql(product_owner, DEPRECATE, slug=product.slug, note="Use General ledger v2.")["data"]["deprecateProduct"]
    assert payload == {"product": {"slug": product.slug, "status": "DEPRECATED"}, "errors": []}
    assert AuditEvent.objects.filter(action="product.deprecated").get().data["note"] == "Use General ledger v2."


@pytest.mark.django_db
def test_a_consumer_may_not_deprecate_and_nothing_changes(gql, product, consumer):
    before = snapshot(product)
    payload = gql(consumer, DEPRECATE, slug=product.slug)["data"]["deprecateProduct"]
    assert payload["product"] is None
    assert payload["errors"] == [{"field": None, "code": "PERMISSION_DENIED",
                                  "message": "You do not have permission to change dataproduct."}]
    assert snapshot(product) == before


@pytest.mark.django_db
def test_a_draft_is_not_found_by_a_consumer_and_stays_a_draft(gql, draft, consumer, finance):
    before = snapshot(draft)
    for user in (consumer, finance):
        payload = gql(user, PUBLISH, slug=draft.slug)["data"]["publishProduct"]
        assert payload["product"] is None
        assert payload["errors"] == [{"field": "slug", "code": "NOT_FOUND",
                                      "message": "No data product 'mission-plans' is visible to you."}]
    assert snapshot(draft) == before


@pytest.mark.django_db
def test_another_tenants_platform_owner_cannot_touch_the_product(gql, product, draft, other_platform_owner):
    before = (snapshot(product), snapshot(draft))
    assert gql(other_platform_owner, DEPRECATE, slug=product.slug)["data"]["deprecateProduct"]["errors"][0]["code"] == "NOT_FOUND"
    assert gql(other_platform_owner, PUBLISH, slug=draft.slug)["data"]["publishProduct"]["errors"][0]["code"] == "NOT_FOUND"
    assert (snapshot(product), snapshot(draft)) == before


@pytest.mark.django_db
def test_a_change_the_lifecycle_does_not_allow_is_invalid_and_changes_nothing(gql, product, draft, platform_owner):
    before = (snapshot(product), snapshot(draft))
    payload = gql(platform_owner, PUBLISH, slug=product.slug)["data"]["publishProduct"]
    assert payload == {"product": None, "errors": [{
        "field": "status", "code": "INVALID",
        "message": "Only draft or deprecated products can be published; General ledger entries is published.",
    }]}
    payload = gql(platform_owner, DEPRECATE, slug=draft.slug)["data"]["deprecateProduct"]
    assert payload["errors"][0]["field"] == "status" and payload["errors"][0]["code"] == "INVALID"
    assert (snapshot(product), snapshot(draft)) == before


@pytest.mark.django_db
def test_a_note_over_the_limit_is_invalid_and_changes_nothing(gql, product, platform_owner):
    before = snapshot(product)
    payload = gql(platform_owner, DEPRECATE, slug=product.slug, note="x" * 281)["data"]["deprecateProduct"]
    assert payload == {"product": None,
                       "errors": [{"field": "note", "code": "INVALID", "message": "Use at most 280 characters."}]}
    assert snapshot(product) == before


@pytest.mark.django_db
def test_anonymous_callers_cannot_run_a_mutation(client, draft):
    response = client.post("/graphql/", {"query": PUBLISH, "variables": {"slug": draft.slug}},
                           content_type="application/json")
    assert response.status_code == 401
    assert DataProduct.objects.get(pk=draft.pk).status == "draft"


@pytest.mark.django_db
def test_a_session_mutation_needs_the_csrf_token(draft, steward):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(steward, backend="django.contrib.auth.backends.ModelBackend")
    response = strict.post("/graphql/", {"query": PUBLISH, "variables": {"slug": draft.slug}},
                           content_type="application/json")
    assert response.status_code == 403
    assert DataProduct.objects.get(pk=draft.pk).status == "draft"


@pytest.mark.django_db
def test_a_token_holder_publishes_without_csrf_and_a_revoked_token_changes_nothing(draft, steward):
    from django.test import Client

    from loom_portal import tokens

    issued = tokens.api_token_create(actor=steward, name="console")
    strict = Client(enforce_csrf_checks=True)
    body = {"query": PUBLISH, "variables": {"slug": draft.slug}}
    tokens.api_token_revoke(actor=steward, token=issued.token)
    refused = strict.post("/graphql/", body, content_type="application/json",
                          HTTP_AUTHORIZATION=f"Bearer {issued.plaintext}")
    assert refused.status_code == 401
    assert DataProduct.objects.get(pk=draft.pk).status == "draft"
    fresh = tokens.api_token_create(actor=steward, name="console 2")
    response = strict.post("/graphql/", body, content_type="application/json",
                           HTTP_AUTHORIZATION=f"Bearer {fresh.plaintext}")
    assert response.json()["data"]["publishProduct"]["product"]["status"] == "PUBLISHED"
    assert DataProduct.objects.get(pk=draft.pk).status == "published"
