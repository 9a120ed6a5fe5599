from django.apps import AppConfig


class MarketplaceConfig(AppConfig):
    name = "marketplace"
    verbose_name = "Data products catalog"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from marketplace import policies  # noqa: F401 - registers the catalog rules
        from marketplace.apim import policies as apim_policies  # noqa: F401 - API Management rules
        from marketplace.apim import tasks as apim_tasks  # noqa: F401 - registers the APIM Celery tasks
