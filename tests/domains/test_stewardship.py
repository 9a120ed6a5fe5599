"""Assigning stewards and owners: who may, what it records, and what it refuses."""

import pytest
from django.core.exceptions import ValidationError

from domains import selectors, services
from domains.choices import DomainRole
from loom_portal import authz
from loom_portal.models import AuditEvent
from tests import factories


@pytest.mark.django_db
def test_a_domain_owner_assigns_a_steward_from_the_domain_page(signed_in, domain, domain_owner, consumer):
    client = signed_in(domain_owner)
    response = client.post(f"/domains/{domain.slug}/roles/assign/", {"email": consumer.email, "role": DomainRole.STEWARD})
    assert response.status_code == 302
    assert authz.can(consumer, "domains.steward_domain", domain)
    page = client.get(f"/domains/{domain.slug}/").content.decode()
    assert consumer.email in page
    event = AuditEvent.objects.filter(action="domain.steward_domain.assigned").latest("id")
    assert event.actor == domain_owner and event.data["user_id"] == consumer.pk


@pytest.mark.django_db
def test_a_steward_cannot_assign_stewards_and_nothing_changes(signed_in, domain, steward, consumer):
    before = AuditEvent.objects.count()
    response = signed_in(steward).post(f"/domains/{domain.slug}/roles/assign/", {"email": consumer.email, "role": "steward_domain"})
    assert response.status_code == 403
    assert not authz.can(consumer, "domains.steward_domain", domain)
    assert AuditEvent.objects.count() == before


@pytest.mark.django_db
def test_a_user_of_another_tenant_cannot_be_made_steward(platform_owner, domain, other_tenant_user):
    with pytest.raises(ValidationError) as err:
        services.domain_assign_role(actor=platform_owner, domain=domain, user=other_tenant_user, role=DomainRole.STEWARD)
    assert "another tenant" in str(err.value)
    assert not authz.can(other_tenant_user, "domains.steward_domain", domain)


@pytest.mark.django_db
def test_an_unknown_email_on_the_domain_page_gets_a_clear_message(signed_in, domain, platform_owner):
    client = signed_in(platform_owner)
    response = client.post(
        f"/domains/{domain.slug}/roles/assign/", {"email": "nobody@contoso.example", "role": "steward_domain"}, follow=True
    )
    assert "No one with email nobody@contoso.example" in response.content.decode()


@pytest.mark.django_db
def test_removing_a_steward_takes_the_queue_away(platform_owner, domain, steward):
    assert services.domain_remove_role(actor=platform_owner, domain=domain, user=steward, role=DomainRole.STEWARD)
    assert not authz.can(steward, "domains.steward_domain", domain)
    assert services.domain_remove_role(actor=platform_owner, domain=domain, user=steward, role=DomainRole.STEWARD) is False


@pytest.mark.django_db
def test_domain_page_lists_owners_stewards_and_workspaces(signed_in, domain, workspace, steward, domain_owner, consumer):
    response = signed_in(consumer).get(f"/domains/{domain.slug}/")
    html = response.content.decode()
    assert response.context["owners"] == [domain_owner]
    assert response.context["stewards"] == [steward]
    assert "contoso-fin-ledger" in html and "Ledger analytics" in html
    assert response.context["can_manage"] is False


@pytest.mark.django_db
def test_workspace_tag_values_are_unique_case_insensitively(platform_owner, domain, workspace):
    with pytest.raises(ValidationError) as err:
        factories.make_workspace(platform_owner, domain, "CONTOSO-FIN-LEDGER")
    assert "workspace_id" in err.value.message_dict
    assert selectors.workspace_match(tenant=domain.tenant, tag_value="Contoso-Fin-Ledger") == workspace


@pytest.mark.django_db
def test_a_domain_cannot_become_its_own_ancestor(platform_owner, domain):
    child = factories.make_domain(platform_owner, "Payables", parent=domain)
    with pytest.raises(ValidationError) as err:
        services.domain_update(
            actor=platform_owner, domain=domain, name=domain.name, description="", parent=child,
            entra_group_id=None, default_sensitivity=domain.default_sensitivity,
        )
    assert "parent" in err.value.message_dict
    domain.refresh_from_db()
    assert domain.parent is None
