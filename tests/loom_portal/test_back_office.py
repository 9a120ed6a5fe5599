"""The Django admin is the platform owners' back office; every write in it goes through services."""

import pytest

from domains.models import Domain, Workspace
from loom_portal.models import AuditEvent, User
from tests.factories import make_domain


@pytest.mark.django_db
def test_a_platform_owner_creates_a_local_user_and_the_audit_log_records_it(signed_in, platform_owner):
    client = signed_in(platform_owner)
    response = client.post(
        "/admin/loom_portal/user/add/",
        {"email": "New.Analyst@contoso.example", "password": "Strong-password-2026!", "first_name": "Nia",
         "last_name": "Analyst", "is_active": "on", "is_finance": "on"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    user = User.objects.get(email="new.analyst@contoso.example")
    assert (user.tenant, user.is_finance, user.is_platform_owner) == (platform_owner.tenant, True, False)
    assert user.check_password("Strong-password-2026!")
    assert AuditEvent.objects.filter(action="user.created", target_id=str(user.pk), actor=platform_owner).exists()


@pytest.mark.django_db
def test_a_weak_password_is_refused_in_the_form_and_no_user_is_created(signed_in, platform_owner):
    response = signed_in(platform_owner).post(
        "/admin/loom_portal/user/add/", {"email": "weak@contoso.example", "password": "123", "is_active": "on"}
    )
    assert response.status_code == 200
    assert "too short" in response.content.decode()
    assert not User.objects.filter(email="weak@contoso.example").exists()


@pytest.mark.django_db
def test_the_user_list_shows_only_the_platform_owners_tenant(signed_in, platform_owner, consumer, other_tenant_user):
    response = signed_in(platform_owner).get("/admin/loom_portal/user/")
    assert set(response.context["cl"].queryset) == {platform_owner, consumer}


@pytest.mark.django_db
def test_another_tenants_user_cannot_be_opened_or_changed(signed_in, platform_owner, other_tenant_user):
    client = signed_in(platform_owner)
    assert client.get(f"/admin/loom_portal/user/{other_tenant_user.pk}/change/").status_code == 302
    client.post(f"/admin/loom_portal/user/{other_tenant_user.pk}/change/", {"first_name": "Hacked", "is_platform_owner": "on"})
    other_tenant_user.refresh_from_db()
    assert (other_tenant_user.first_name, other_tenant_user.is_platform_owner) == ("User", False)


@pytest.mark.django_db
def test_a_domain_created_in_the_back_office_gets_its_owners_and_stewards_through_services(
    signed_in, platform_owner, consumer
):
    response = signed_in(platform_owner).post(
        "/admin/domains/domain/add/",
        {"name": "Mission Ops", "slug": "", "description": "Ops", "default_sensitivity": "general", "stewards": [consumer.pk]},
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    domain = Domain.objects.get(name="Mission Ops")
    assert (domain.tenant, domain.slug) == (platform_owner.tenant, "mission-ops")
    assert set(AuditEvent.objects.filter(target_id=str(domain.pk)).values_list("action", flat=True)) == {
        "domain.created", "domain.steward_domain.assigned"
    }


@pytest.mark.django_db
def test_a_duplicate_domain_name_is_a_form_error_not_a_500(signed_in, platform_owner, domain):
    response = signed_in(platform_owner).post(
        "/admin/domains/domain/add/", {"name": "finance", "default_sensitivity": "general"}
    )
    assert response.status_code == 200
    assert "already exists" in response.content.decode()
    assert Domain.objects.count() == 1


@pytest.mark.django_db
def test_bulk_delete_goes_through_the_service(signed_in, platform_owner, domain):
    empty = make_domain(platform_owner, "Empty")
    response = signed_in(platform_owner).post(
        "/admin/domains/domain/", {"action": "delete_selected", "_selected_action": [empty.pk], "post": "yes"}, follow=True
    )
    assert response.status_code == 200
    assert list(Domain.objects.all()) == [domain]
    assert AuditEvent.objects.filter(action="domain.deleted", target_id=str(empty.pk), actor=platform_owner).exists()


@pytest.mark.django_db
def test_a_domain_with_workspaces_is_not_deleted_and_nothing_is_lost(signed_in, platform_owner, domain, workspace):
    response = signed_in(platform_owner).post(
        "/admin/domains/domain/", {"action": "delete_selected", "_selected_action": [domain.pk], "post": "yes"}
    )
    assert response.status_code == 200
    assert "Cannot delete" in response.content.decode()
    assert Domain.objects.filter(pk=domain.pk).exists() and Workspace.objects.filter(pk=workspace.pk).exists()


@pytest.mark.django_db
def test_the_audit_log_is_read_only_and_filtered_to_the_tenant(signed_in, platform_owner, domain, other_domain):
    client = signed_in(platform_owner)
    response = client.get("/admin/loom_portal/auditevent/")
    assert response.status_code == 200
    tenants = {event.tenant_id for event in response.context["cl"].queryset}
    assert tenants == {platform_owner.tenant_id}
    event = AuditEvent.objects.filter(tenant=platform_owner.tenant).first()
    assert client.post(f"/admin/loom_portal/auditevent/{event.pk}/delete/", {"post": "yes"}).status_code == 403
    assert AuditEvent.objects.filter(pk=event.pk).exists()


@pytest.mark.django_db
def test_consumers_and_finance_cannot_enter_the_back_office(signed_in, consumer, finance):
    for user in (consumer, finance):
        response = signed_in(user).get("/admin/")
        assert response.status_code == 302 and "/admin/login/" in response["Location"]
