"""The e-mail copy of a notification: enqueued after commit, sent once, kept for a retry when the mail
server is down. (A real worker process runs the same task in tests/integration/test_celery_worker.py.)"""

import socket

import pytest
from django.core import mail
from django.db import transaction

from loom_portal import services
from loom_portal.tasks import TRANSIENT_MAIL_ERRORS, notification_deliver_email


def test_sending_a_notification_emails_the_recipient_once_the_transaction_commits(
    consumer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        note = services.notification_send(recipient=consumer, title="Grant active", body="Enjoy.", url="/p/1/")
        assert mail.outbox == []  # nothing leaves before commit

    [message] = mail.outbox
    assert message.to == ["consumer@contoso.example"]
    assert message.subject == "Grant active"
    assert "Enjoy." in message.body and "/p/1/" in message.body
    note.refresh_from_db()
    assert note.emailed_at is not None


def test_nothing_is_emailed_when_the_transaction_rolls_back(consumer, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            services.notification_send(recipient=consumer, title="Never sent")
            raise RuntimeError("the surrounding write failed")

    assert callbacks == []
    assert mail.outbox == []


def test_delivering_the_same_notification_again_sends_nothing_more(consumer):
    note = services.notification_send(recipient=consumer, title="Budget alert", email=False)

    first = notification_deliver_email.delay(notification_id=note.pk).get()
    second = notification_deliver_email.delay(notification_id=note.pk).get()

    assert (first, second) == (True, False)
    assert len(mail.outbox) == 1


def test_a_notification_chosen_not_to_be_emailed_is_not_emailed(consumer, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        note = services.notification_send(recipient=consumer, title="In-portal only", email=False)

    assert callbacks == []
    assert mail.outbox == []
    note.refresh_from_db()
    assert note.emailed_at is None


def test_a_deleted_notification_is_skipped(consumer):
    note = services.notification_send(recipient=consumer, title="Gone", email=False)
    note_id = note.pk
    note.delete()

    assert notification_deliver_email.delay(notification_id=note_id).get() is False
    assert mail.outbox == []


def test_a_mail_server_outage_is_retried_and_leaves_the_notification_unsent(consumer, settings):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed_port = sock.getsockname()[1]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", closed_port, 2
    note = services.notification_send(recipient=consumer, title="Held back", email=False)

    with pytest.raises(TRANSIENT_MAIL_ERRORS):  # the task retries exactly these errors, with backoff
        services.notification_deliver_email(notification=note)

    note.refresh_from_db()
    assert note.emailed_at is None
