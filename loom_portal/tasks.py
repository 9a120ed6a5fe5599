"""Celery tasks of the core app: thin adapters that load by id and call a service."""

import smtplib

from celery import shared_task

from loom_portal import services
from loom_portal.models import Notification

# Worth retrying: the mail server or the network was briefly unavailable. A refused recipient or
# a malformed message (other SMTP errors) would fail the same way again, so it is not retried.
TRANSIENT_MAIL_ERRORS = (
    smtplib.SMTPConnectError,
    smtplib.SMTPServerDisconnected,
    ConnectionError,
    TimeoutError,
)


@shared_task(
    name="loom_portal.notification_deliver_email",
    bind=True,
    acks_late=True,
    autoretry_for=TRANSIENT_MAIL_ERRORS,
    retry_backoff=True,
    max_retries=5,
)
def notification_deliver_email(self, *, notification_id: int) -> bool:
    """E-mail one notification; running it again for the same id sends nothing more."""
    notification = Notification.objects.filter(pk=notification_id).first()
    if notification is None:  # deleted (e.g. its user was removed) before the worker got to it
        return False
    return services.notification_deliver_email(notification=notification)
