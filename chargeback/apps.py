from django.apps import AppConfig


class ChargebackConfig(AppConfig):
    name = "chargeback"
    verbose_name = "Chargeback"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from chargeback import policies  # noqa: F401 - registers the chargeback rules
