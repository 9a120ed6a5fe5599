from django.apps import AppConfig


class DevportalConfig(AppConfig):
    name = "devportal"
    verbose_name = "Developer portal"
    default_auto_field = "django.db.models.BigAutoField"
