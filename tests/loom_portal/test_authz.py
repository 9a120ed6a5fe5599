"""The one policy: tenant first, fail closed, 404 when hidden and 403 when visible but not allowed."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.http import Http404

from domains.models import Domain
from loom_portal import authz, services


@pytest.mark.django_db
def test_restrict_scopes_to_the_actors_tenant_before_the_rule(domain, other_domain, consumer, other_tenant_user):
    assert list(authz.restrict(Domain.objects.all(), consumer, "domains.view_domain")) == [domain]
    assert list(authz.restrict(Domain.objects.all(), other_tenant_user, "domains.view_domain")) == [other_domain]


@pytest.mark.django_db
def test_anonymous_and_deactivated_actors_get_nothing(domain, platform_owner, consumer):
    assert not authz.restrict(Domain.objects.all(), AnonymousUser(), "domains.view_domain").exists()
    services.user_update(
        actor=platform_owner, user=consumer, first_name="", last_name="", is_active=False,
        is_finance=False, is_domain_owner=False, is_platform_owner=False,
    )
    consumer.refresh_from_db()
    assert not authz.can(consumer, "domains.view_domain", domain)


@pytest.mark.django_db
def test_an_unknown_permission_fails_loudly_rather_than_open(domain, consumer):
    with pytest.raises(ImproperlyConfigured):
        authz.can(consumer, "domains.teleport_domain", domain)


@pytest.mark.django_db
def test_require_answers_404_when_hidden_and_403_when_visible_but_not_allowed(domain, consumer, other_tenant_user):
    with pytest.raises(Http404):
        authz.require(other_tenant_user, "domains.change_domain", domain)
    with pytest.raises(PermissionDenied):
        authz.require(consumer, "domains.change_domain", domain)


@pytest.mark.django_db
def test_object_roles_come_from_guardian_object_permissions(domain, steward, domain_owner, consumer):
    assert authz.can(steward, "domains.steward_domain", domain)
    assert authz.can(domain_owner, "domains.steward_domain", domain)  # owners work the queue too
    assert authz.can(domain_owner, "domains.change_domain", domain)
    assert not authz.can(steward, "domains.change_domain", domain)
    assert not authz.can(consumer, "domains.steward_domain", domain)


@pytest.mark.django_db
def test_a_platform_owner_of_one_tenant_cannot_touch_another_tenants_domain(other_domain, platform_owner):
    assert not authz.can(platform_owner, "domains.change_domain", other_domain)
    with pytest.raises(Http404):
        authz.require(platform_owner, "domains.delete_domain", other_domain)
