import os

from django.core.wsgi import get_wsgi_application

from loom_portal import observability
from loom_portal.config import load_settings_or_exit

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "loom_portal.settings")
load_settings_or_exit(exit_code=3)  # 3 = gunicorn's "worker failed to boot": the master stops too
observability.setup()  # Application Insights export when its connection string is set; before the app loads
application = get_wsgi_application()
