from django.apps import AppConfig


class PackingConfig(AppConfig):
    name = "packing"
    verbose_name = "Pack station"
