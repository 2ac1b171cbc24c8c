from django.apps import AppConfig


class ConsultsConfig(AppConfig):
    name = "consults"
    verbose_name = "Free consults"
