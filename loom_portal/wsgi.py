import os

from django.core.wsgi import get_wsgi_application

from loom_portal import observability

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "loom_portal.settings")
observability.setup()  # Application Insights export when its connection string is set; before the app loads
application = get_wsgi_application()
