"""Serve the AmeriCommerce sandbox store until SIGINT/SIGTERM; the same as `python -m sandbox`.

    python manage.py sandbox_store --port 8765 --orders 500 --seed 1

Prints two lines once the store accepts connections:
    Sandbox AmeriCommerce store: <endpoint URL> username=<admin> password=<password>
    Sandbox AmeriCommerce REST API: <base URL>/api/v1 token=<token>

The sandbox runs from the source tree (it is not part of the installed package).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser


def _cli():
    try:
        from sandbox import cli
    except ImportError as exc:
        raise CommandError("The sandbox store runs from Outbound's source tree; it is not installed here.") from exc
    return cli


class Command(BaseCommand):
    help = "Run the AmeriCommerce sandbox store (ShipStation Custom Store endpoint) for demos and tests."
    # The sandbox touches neither the database nor Outbound's apps; the project's checks are not its business.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        _cli().add_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        cli = _cli()
        try:
            cli.serve(options, self.stdout)
        except cli.SandboxStartError as exc:
            raise CommandError(str(exc)) from exc
