from django.apps import AppConfig


class DomainsConfig(AppConfig):
    name = "domains"
    verbose_name = "Domains and workspaces"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from domains import policies  # noqa: F401 - registers the domain rules
