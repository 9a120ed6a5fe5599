"""A consumer asks for rows of a product; a steward decides; approval becomes a live row-level grant."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from loom_portal.models import AuditEvent, Notification
from marketplace.choices import AccessRequestStatus, GrantStatus
from marketplace.models import AccessRequest, Grant
from marketplace.services import access
from tests import factories
from tests.marketplace.access.conftest import rows_seen_by

EMEA = {"region": ["EMEA"]}


def ask(consumer, product, scope=EMEA, days=30, purpose="Quarterly EMEA revenue review"):
    return access.access_request_create(actor=consumer, product=product, purpose=purpose, scope=scope,
                                        duration_days=days)


def test_approval_applies_the_scope_in_postgres_and_the_consumer_sees_only_those_rows(
    consumer, steward, orders_product, serving, django_capture_on_commit_callbacks
):
    request = ask(consumer, orders_product)
    with django_capture_on_commit_callbacks(execute=True):
        access.access_request_approve(actor=steward, request=request)

    grant = Grant.objects.get(request=request)
    assert grant.status == GrantStatus.ACTIVE, grant.status_reason
    assert grant.engine == "postgres"
    assert {region for _, region in rows_seen_by(serving, grant.principal)} == {"EMEA"}
    assert len(rows_seen_by(serving, grant.principal)) == 3
    assert AuditEvent.objects.filter(action="grant.activated", target_id=str(grant.pk)).count() == 1
    assert Notification.objects.filter(recipient=consumer, title__contains="is active").exists()


def test_a_request_names_the_bad_field_and_saves_nothing(consumer, orders_product):
    cases = [
        ({"purpose": "x"}, "purpose"),
        ({"scope": {"amount": ["10"]}}, "scope"),
        ({"scope": {"region": []}}, "scope"),
        ({"scope": "EMEA"}, "scope"),
        ({"days": 0}, "duration_days"),
        ({"days": 366}, "duration_days"),
        ({"days": "soon"}, "duration_days"),
    ]
    for change, field in cases:
        kwargs = {"scope": EMEA, "days": 30, "purpose": "Quarterly EMEA revenue review", **change}
        with pytest.raises(ValidationError) as error:
            ask(consumer, orders_product, **kwargs)
        assert field in error.value.message_dict, (change, error.value.message_dict)
    assert not AccessRequest.objects.exists()


def test_a_product_that_does_not_grant_all_rows_needs_a_scope(consumer, orders_product, platform_owner):
    from marketplace.models import DataProduct

    DataProduct.objects.filter(pk=orders_product.pk).update(all_rows_requestable=False)
    orders_product.refresh_from_db()
    with pytest.raises(ValidationError) as error:
        ask(consumer, orders_product, scope={})
    assert "does not grant all rows" in str(error.value.message_dict["scope"])


def test_one_open_request_per_product(consumer, orders_product):
    ask(consumer, orders_product)
    with pytest.raises(ValidationError) as error:
        ask(consumer, orders_product, scope={"region": ["APAC"]})
    assert "already have an open request" in str(error.value.message_dict["product"])


def test_nobody_approves_their_own_request(steward, orders_product):
    request = ask(steward, orders_product)
    with pytest.raises(PermissionDenied):
        access.access_request_approve(actor=steward, request=request)
    request.refresh_from_db()
    assert request.status == AccessRequestStatus.REQUESTED
    assert not Grant.objects.exists()


def test_another_consumers_request_is_invisible_to_a_consumer(consumer, tenant, orders_product):
    other = factories.make_user(tenant, "other@contoso.example")
    request = ask(other, orders_product)
    with pytest.raises(Http404):
        access.access_request_approve(actor=consumer, request=request)
    assert not Grant.objects.exists()


def test_deny_needs_a_reason_and_tells_the_requester(consumer, steward, orders_product):
    request = ask(consumer, orders_product)
    with pytest.raises(ValidationError) as error:
        access.access_request_deny(actor=steward, request=request, reason="  ")
    assert "reason" in error.value.message_dict
    access.access_request_deny(actor=steward, request=request, reason="Use the aggregated view instead.")
    request.refresh_from_db()
    assert request.status == AccessRequestStatus.DENIED
    assert Notification.objects.get(recipient=consumer, title__contains="denied").body.endswith("aggregated view instead.")


def test_a_decided_request_cannot_be_decided_again(consumer, steward, orders_product,
                                                    django_capture_on_commit_callbacks):
    request = ask(consumer, orders_product)
    with django_capture_on_commit_callbacks(execute=True):
        access.access_request_approve(actor=steward, request=request)
    for decide in (lambda: access.access_request_approve(actor=steward, request=request),
                   lambda: access.access_request_deny(actor=steward, request=request, reason="no")):
        with pytest.raises(ValidationError) as error:
            decide()
        assert "already approved" in str(error.value.message_dict["status"])
    assert Grant.objects.filter(request=request).count() == 1


def test_the_requester_withdraws_an_open_request(consumer, steward, orders_product):
    request = ask(consumer, orders_product)
    with pytest.raises(PermissionDenied):
        access.access_request_withdraw(actor=steward, request=request)
    access.access_request_withdraw(actor=consumer, request=request)
    request.refresh_from_db()
    assert request.status == AccessRequestStatus.WITHDRAWN


def test_highly_confidential_needs_a_steward_then_a_domain_owner(
    consumer, steward, domain_owner, platform_owner, domain, serving, django_capture_on_commit_callbacks
):
    from marketplace import services

    from .conftest import ORDER_COLUMNS

    product = services.product_create(
        actor=platform_owner, domain=domain, name="Sensitive orders", sensitivity="highly_confidential",
        source_engine="postgres", source_database="sales", source_schema="sales", source_table="orders",
        columns=ORDER_COLUMNS,
    )
    product = services.product_publish(actor=platform_owner, product=product)
    with pytest.raises(ValidationError) as error:
        ask(consumer, product, days=120)
    assert "between 1 and 90 days" in str(error.value.message_dict["duration_days"])
    request = ask(consumer, product, days=30)
    assert request.approvals_required == 2

    access.access_request_approve(actor=steward, request=request)
    request.refresh_from_db()
    assert request.status == AccessRequestStatus.REQUESTED
    assert not Grant.objects.exists()
    with pytest.raises(PermissionError):  # a steward cannot give the domain owner's step
        access.access_request_approve(actor=steward, request=request)

    with django_capture_on_commit_callbacks(execute=True):
        access.access_request_approve(actor=domain_owner, request=request)
    request.refresh_from_db()
    assert request.status == AccessRequestStatus.APPROVED
    assert [a.step for a in request.approvals.all()] == ["steward", "domain_owner"]
    assert Grant.objects.get(request=request).status == GrantStatus.ACTIVE


def test_an_overdue_request_reminds_the_reviewers_once(consumer, steward, orders_product, settings):
    from datetime import timedelta

    from django.utils import timezone

    request = ask(consumer, orders_product)
    AccessRequest.objects.filter(pk=request.pk).update(created_at=timezone.now() - timedelta(hours=49))
    assert access.access_requests_remind() == 1
    assert access.access_requests_remind() == 0
    assert Notification.objects.filter(recipient=steward, title__startswith="Waiting over 48 h").count() == 1
