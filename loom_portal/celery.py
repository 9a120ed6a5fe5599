"""The Celery app. Without CELERY_BROKER_URL tasks run eagerly (the embedded demo)."""

import os

from celery import Celery

from loom_portal import observability

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "loom_portal.settings")

app = Celery("loom_portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
observability.setup(celery_app=app)  # JSON logs in worker/beat; telemetry export per process when configured
