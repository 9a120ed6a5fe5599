"""Back office: tiers are managed by platform owners through the services; publications are read-only with actions."""

from loom_portal.models import AuditEvent
from marketplace.choices import ApiPublicationState
from marketplace.models import ApiPublication, ApiTier

TIER = {"name": "Silver", "rate_limit_calls": "500", "rate_limit_period_seconds": "60", "quota_calls": "50000",
        "quota_period_seconds": "86400"}


def test_a_platform_owner_adds_a_tier_through_the_service(signed_in, platform_owner):
    response = signed_in(platform_owner).post("/admin/marketplace/apitier/add/", TIER)

    assert response.status_code == 302, response.content.decode()[:2000]
    tier = ApiTier.objects.get(name="Silver")
    assert (tier.tenant, tier.rate_limit_calls, tier.quota_calls) == (platform_owner.tenant, 500, 50000)
    assert AuditEvent.objects.filter(action="apim.tier_created", target_id=str(tier.pk)).exists()


def test_a_tier_apim_cannot_enforce_is_a_form_error_and_nothing_is_saved(signed_in, platform_owner):
    response = signed_in(platform_owner).post("/admin/marketplace/apitier/add/",
                                              {**TIER, "rate_limit_period_seconds": "3600"})

    assert response.status_code == 200
    assert "300 seconds" in response.content.decode()
    assert not ApiTier.objects.exists()


def test_tiers_of_another_tenant_are_not_listed_and_not_reachable(signed_in, bronze, other_platform_owner):
    client = signed_in(other_platform_owner)
    assert "Bronze" not in client.get("/admin/marketplace/apitier/").content.decode()
    assert client.get(f"/admin/marketplace/apitier/{bronze.pk}/change/").status_code in (302, 404)


def test_members_without_the_back_office_get_no_tier_admin(signed_in, consumer, bronze):
    assert signed_in(consumer).get("/admin/marketplace/apitier/").status_code in (302, 403)


def test_a_publication_is_read_only_and_resynced_by_an_action(exposed, apim, signed_in, platform_owner,
                                                              django_capture_on_commit_callbacks):
    client = signed_in(platform_owner)
    page = client.get(f"/admin/marketplace/apipublication/{exposed.pk}/change/").content.decode()
    assert exposed.apim_api_id in page and 'name="state"' not in page
    apim.remove("apis", exposed.apim_api_id)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/admin/marketplace/apipublication/",
                               {"action": "resync_selected", "_selected_action": [exposed.pk]})

    assert response.status_code == 302
    assert exposed.apim_api_id.lower() in apim.apis
    assert ApiPublication.objects.get(pk=exposed.pk).state == ApiPublicationState.PUBLISHED
