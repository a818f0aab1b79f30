"""Relay due outbox messages: once (cron, tests) or in a loop (a dedicated worker process)."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand

from outbox.services import default_worker, outbox_relay


class Command(BaseCommand):
    help = "Send due outbox messages (store updates, e-mails, webhooks)."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Relay what is due now, then exit.")
        parser.add_argument("--limit", type=int, default=50, help="Messages claimed per batch.")
        parser.add_argument("--interval", type=float, default=2.0, help="Seconds to sleep when nothing is due.")

    def handle(self, *args, once: bool, limit: int, interval: float, **options):
        worker = default_worker()
        total = 0
        try:
            while True:
                done = outbox_relay(limit=limit, worker=worker)
                total += done
                if once and done < limit:
                    break
                if done < limit:
                    time.sleep(interval)
        except KeyboardInterrupt:
            pass
        self.stdout.write(f"{total} message(s) attempted.")
