from django.apps import AppConfig


class LoomPortalConfig(AppConfig):
    name = "loom_portal"
    verbose_name = "Loom Portal core"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from loom_portal import api_schema, policies  # noqa: F401 - registers the core rules and OpenAPI extensions
