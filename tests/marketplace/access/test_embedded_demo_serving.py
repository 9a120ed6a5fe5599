"""The embedded (SQLite) engine serves the demo: the same request → approve → rows flow, without PostgreSQL."""

from marketplace import services
from marketplace.choices import GrantStatus
from marketplace.demo import load_demo_serving_rows
from marketplace.services import access, grants


def test_the_demo_ledger_returns_only_the_granted_region(settings, tmp_path, client, consumer, steward,
                                                         platform_owner, domain, django_capture_on_commit_callbacks):
    settings.SERVING_DATABASES = {"finance": f"sqlite:///{tmp_path}"}
    assert load_demo_serving_rows() == 240
    assert load_demo_serving_rows() == 0  # idempotent
    product = services.product_publish(actor=platform_owner, product=services.product_create(
        actor=platform_owner, domain=domain, name="Ledger", source_engine="postgres", source_database="finance",
        source_schema="gl", source_table="journal_entries",
        columns=[{"name": "entry_id", "data_type": "bigint"}, {"name": "region", "data_type": "text", "is_scopable": True},
                 {"name": "amount", "data_type": "numeric"}],
    ))
    request = access.access_request_create(actor=consumer, product=product, purpose="EMEA close review",
                                           scope={"region": ["EMEA"]}, duration_days=30)
    with django_capture_on_commit_callbacks(execute=True):
        access.access_request_approve(actor=steward, request=request)
    grant = request.grant
    grant.refresh_from_db()
    assert (grant.engine, grant.status) == ("embedded", GrantStatus.ACTIVE), grant.status_reason

    key = grants.api_key_create(actor=consumer, grant=grant).plaintext
    body = client.get(f"/data/v1/products/{product.slug}/rows", {"limit": 1000}, HTTP_X_API_KEY=key).json()
    assert len(body["rows"]) == 80
    assert {row["region"] for row in body["rows"]} == {"EMEA"}

    with django_capture_on_commit_callbacks(execute=True):
        grants.grant_revoke(actor=steward, grant=grant, reason="Done")
    grant.refresh_from_db()
    assert not grant.engine_applied
