"""The Celery app. Without CELERY_BROKER_URL tasks run eagerly (the embedded demo)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "loom_portal.settings")

app = Celery("loom_portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
