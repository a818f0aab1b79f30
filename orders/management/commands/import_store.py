import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils.dateparse import parse_date, parse_datetime

from orders.importing.mapping import SKIP_REASONS
from orders.services import import_store_now
from stores.models import Store


class Command(BaseCommand):
    help = "Import one store's orders now, synchronously, and print the run's summary."

    def add_arguments(self, parser):
        parser.add_argument("store_id", type=int)
        parser.add_argument("--since", help="First import: how far back (YYYY-MM-DD or an ISO date-time).")

    def handle(self, *args, store_id, since=None, **opts):
        try:
            store = Store.objects.get(pk=store_id)
        except Store.DoesNotExist:
            raise CommandError(f"No store with id {store_id}.")
        since_dt = None
        if since:
            since_dt = parse_datetime(since)
            if since_dt is None and (day := parse_date(since)):
                since_dt = dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)
            if since_dt is None:
                raise CommandError(f"--since {since!r} is not a date (YYYY-MM-DD) or an ISO date-time.")
            if since_dt.tzinfo is None:
                since_dt = since_dt.replace(tzinfo=dt.UTC)
        run = import_store_now(store=store, since=since_dt)
        if run.state == "skipped":  # another import of this store holds it: nothing ran, nothing to show
            raise CommandError(run.error)
        skipped = ", ".join(f"{n} {SKIP_REASONS.get(k, k)}" for k, n in run.skipped.items() if n) or "none"
        self.stdout.write(
            f"Import run {run.pk} of {store.name}: {run.state}\n"
            f"  window:   {run.window_start:%Y-%m-%d %H:%M} → {run.window_end:%Y-%m-%d %H:%M} UTC\n"
            f"  pages:    {run.pages_done}, HTTP requests: {run.http_requests}\n"
            f"  orders:   {run.orders_seen} seen, {run.orders_created} created, {run.orders_updated} updated, "
            f"{run.orders_unchanged} unchanged\n"
            f"  skipped:  {skipped}" + (f"\n  error:    {run.error}" if run.error else "")
        )
        if run.state != "succeeded":
            raise CommandError(run.error or "The import failed.")
