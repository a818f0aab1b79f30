"""Serve the AmeriCommerce sandbox store until SIGINT/SIGTERM.

    python manage.py sandbox_store --port 8765 --orders 500 --seed 1
    python manage.py sandbox_store --window-precision exact --sort desc --change-during-paging out

Prints one line once the store accepts connections:
    Sandbox AmeriCommerce store: <endpoint URL> username=<admin> password=<password>
"""

from __future__ import annotations

import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = "Run the AmeriCommerce sandbox store (ShipStation Custom Store endpoint) for demos and tests."
    # The sandbox touches neither the database nor Outbound's apps; the project's checks are not its business.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8765)
        parser.add_argument("--orders", type=int, default=500)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--page-size", type=int, default=100)
        parser.add_argument("--fail-rate", type=float, default=0.0,
                            help="probability of a random fault (429/500/503/drop/truncate/malformed) per request")
        parser.add_argument("--now", default=None, help="the store clock's start, ISO 8601 (default: real UTC now)")
        parser.add_argument("--log-requests", action="store_true", help="log every request to stderr")
        from sandbox import BEHAVIOURS

        helps = {
            "window_precision": "minute: LastModified compared by minute (end 22:40 includes 22:40:21); "
                                "exact: with its seconds against the minute bounds (end 22:40 is 22:40:00)",
            "sort": "export order by LastModified",
            "change_during_paging": "an order changed while a window is paged stays in it at its end (to_end) "
                                    "or leaves it (out)",
        }
        for name, values in BEHAVIOURS.items():
            parser.add_argument(f"--{name.replace('_', '-')}", choices=values, default=values[0],
                                help=f"{helps[name]} (default {values[0]})")

    def handle(self, *args: Any, **options: Any) -> None:
        from sandbox import run_sandbox

        faults = {"rate": options["fail_rate"]} if options["fail_rate"] else None
        try:
            server = run_sandbox(
                host=options["host"], port=options["port"], orders=options["orders"], seed=options["seed"],
                page_size=options["page_size"], now=options["now"], faults=faults,
                verbose=options["log_requests"], window_precision=options["window_precision"],
                sort=options["sort"], change_during_paging=options["change_during_paging"],
            )
        except (OSError, ValueError) as exc:
            raise CommandError(f"Cannot start the sandbox store: {exc}") from exc
        stopping = threading.Event()

        def stop(signum: int, frame: object) -> None:
            stopping.set()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        self.stdout.write(
            f"Sandbox AmeriCommerce store: {server.endpoint_url} username={server.username} password={server.password}"
        )
        self.stdout.flush()
        try:
            while not stopping.wait(0.5):
                pass
        finally:
            server.stop()
