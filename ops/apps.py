from django.apps import AppConfig


class OpsConfig(AppConfig):
    """Running Outbound: the demo, the periodic schedules every app declares, the django-q2 check.

    Nothing in the domain imports ops; ops reads what the apps declare (their `schedules.py`)."""

    name = "ops"
    verbose_name = "Operations"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the django-q2 configuration check)
