"""Notifications: each user sees and reads only their own; reading follows only same-host links."""

import pytest

from loom_portal import services
from loom_portal.models import Notification
from tests import factories


def notify(user, title, url=""):
    return services.notification_send(recipient=user, title=title, url=url, email=False)


@pytest.fixture
def colleague(tenant):
    return factories.make_user(tenant, "colleague@contoso.example")


@pytest.fixture
def inboxes(consumer, colleague, other_tenant_user):
    return {
        "mine": [notify(consumer, "Your access request was approved"), notify(consumer, "Budget at 80%")],
        "colleague": [notify(colleague, "Private notice for a colleague")],
        "other_tenant": [notify(other_tenant_user, "Fabrikam secret notice")],
    }


def test_the_notifications_page_shows_only_my_notifications(signed_in, consumer, inboxes):
    response = signed_in(consumer).get("/notifications/")

    assert response.status_code == 200
    page = response.content.decode()
    assert "Your access request was approved" in page
    assert "Budget at 80%" in page
    assert "Private notice for a colleague" not in page
    assert "Fabrikam secret notice" not in page


def test_the_notifications_menu_counts_and_lists_only_my_unread_notifications(signed_in, consumer, inboxes):
    response = signed_in(consumer).get("/notifications/")

    nav = response.context["nav"]
    assert nav["unread_notifications"] == 2
    assert {n.title for n in nav["recent_notifications"]} == {"Your access request was approved", "Budget at 80%"}
    assert '<span class="badge" data-testid="unread-count">2</span>' in response.content.decode()


def test_marking_my_notification_read_records_when_and_lowers_the_unread_count(signed_in, consumer, inboxes):
    client = signed_in(consumer)
    note = inboxes["mine"][0]

    response = client.post(f"/notifications/{note.pk}/read/")

    assert response.status_code == 302
    assert response["Location"] == "/notifications/"
    note.refresh_from_db()
    assert note.read_at is not None
    assert client.get("/notifications/").context["nav"]["unread_notifications"] == 1


@pytest.mark.parametrize("owner", ["colleague", "other_tenant"])
def test_marking_someone_elses_notification_read_is_404_and_changes_nothing(signed_in, consumer, inboxes, owner):
    theirs = inboxes[owner][0]

    response = signed_in(consumer).post(f"/notifications/{theirs.pk}/read/")

    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_mark_all_read_marks_only_my_notifications(signed_in, consumer, inboxes):
    response = signed_in(consumer).post("/notifications/read-all/")

    assert response.status_code == 302
    assert not Notification.objects.filter(recipient=consumer, read_at__isnull=True).exists()
    others = inboxes["colleague"] + inboxes["other_tenant"]
    assert Notification.objects.filter(pk__in=[n.pk for n in others], read_at__isnull=True).count() == len(others)


def test_reading_a_notification_opens_its_same_host_link(signed_in, consumer):
    note = notify(consumer, "Review the Finance domain", url="/domains/?tab=stewards")

    response = signed_in(consumer).post(f"/notifications/{note.pk}/read/")

    assert response.status_code == 302
    assert response["Location"] == "/domains/?tab=stewards"


@pytest.mark.parametrize(
    "url",
    ["https://evil.example/phish", "//evil.example/phish", "javascript:alert(1)", "http://testserver.evil.example/"],
)
def test_reading_a_notification_never_redirects_off_site(signed_in, consumer, url):
    note = notify(consumer, "Suspicious link", url=url)

    response = signed_in(consumer).post(f"/notifications/{note.pk}/read/")

    assert response.status_code == 302
    assert response["Location"] == "/notifications/"
    note.refresh_from_db()
    assert note.read_at is not None


def test_reading_needs_sign_in_and_a_post(client, signed_in, consumer, inboxes):
    note = inboxes["mine"][0]

    anonymous = client.post(f"/notifications/{note.pk}/read/")
    assert anonymous.status_code == 302
    assert "/accounts/login/" in anonymous["Location"]

    assert signed_in(consumer).get(f"/notifications/{note.pk}/read/").status_code == 405
    note.refresh_from_db()
    assert note.read_at is None
