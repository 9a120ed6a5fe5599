"""The Celery app. Without CELERY_BROKER_URL tasks run eagerly (the embedded demo)."""

import os
import sys

from celery import Celery

from loom_portal import observability

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "loom_portal.settings")

app = Celery("loom_portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
observability.setup(celery_app=app)  # JSON logs in worker/beat; telemetry export per process when configured

if os.path.basename(sys.argv[0]) == "celery":
    # The worker and beat load settings lazily, deep inside Celery's start-up; load them now so a
    # broken DATABASE_URL or CELERY_BROKER_URL stops the process with one line naming the setting.
    from loom_portal.config import load_settings_or_exit

    load_settings_or_exit()
