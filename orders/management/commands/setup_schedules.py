"""Declares Outbound's periodic django-q2 schedules in code; running it again changes nothing."""

from django.core.management.base import BaseCommand
from django_q.models import Schedule

SCHEDULES = [
    # name, function, minutes
    ("outbound-import-tick", "orders.tasks.import_tick_task", 1),
    ("outbound-outbox-relay", "shipments.tasks.outbox_relay_due", 1),
    ("outbound-reconcile-tick", "orders.tasks.reconcile_tick_task", 60),
    ("outbound-idempotency-prune", "api.services.idempotency_records_prune", 60),
]


class Command(BaseCommand):
    help = "Create or update the periodic schedules (import tick, reconciliation sweeps, outbox relay)."

    def handle(self, *args, **opts):
        for name, func, minutes in SCHEDULES:
            _, created = Schedule.objects.update_or_create(
                name=name,
                defaults={"func": func, "schedule_type": Schedule.MINUTES, "minutes": minutes, "repeats": -1},
            )
            self.stdout.write(f"{'Created' if created else 'Kept'} schedule {name} → {func} every {minutes} min")
