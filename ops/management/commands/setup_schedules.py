"""Installs the periodic django-q2 schedules every app declares (its `schedules.py`); running it again
changes nothing."""

from django.core.management.base import BaseCommand

from ops.schedules import schedules_install


class Command(BaseCommand):
    help = (
        "Create or update the periodic schedules (import tick, reconciliation sweeps, outbox relay), each on its queue."
    )

    def handle(self, *args, **opts):
        for spec, created in schedules_install():
            self.stdout.write(
                f"{'Created' if created else 'Kept'} schedule {spec.name} → {spec.func} "
                f"every {spec.minutes} min on the {spec.queue} queue"
            )
