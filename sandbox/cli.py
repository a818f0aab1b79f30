"""The sandbox store's command line, shared by `python -m sandbox` and `manage.py sandbox_store`.

    python -m sandbox --port 8765 --orders 500 --seed 1
    python manage.py sandbox_store --port 8765 --orders 500 --seed 1
    python -m sandbox --window-precision exact --sort desc --change-during-paging out

Serves until SIGINT/SIGTERM. Prints two lines once the store accepts connections:
    Sandbox AmeriCommerce store: <endpoint URL> username=<admin> password=<password>
    Sandbox AmeriCommerce REST API: <base URL>/api/v1 token=<token>
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from typing import Any, TextIO


class SandboxStartError(Exception):
    """The sandbox store could not start (a port in use, a bad option)."""


def _delay(text: str) -> tuple[float, float]:
    low, _, high = text.partition("..")
    try:
        return float(low), float(high or low)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected seconds or MIN..MAX, not {text!r}") from None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--orders", type=int, default=500)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--page-size", type=int, default=100)
    parser.add_argument(
        "--fail-rate",
        type=float,
        default=0.0,
        help="probability of a random fault (429/500/503/drop/truncate/malformed) per request",
    )
    parser.add_argument("--now", default=None, help="the store clock's start, ISO 8601 (default: real UTC now)")
    parser.add_argument("--log-requests", action="store_true", help="log every request to stderr")
    parser.add_argument(
        "--call-limit",
        type=int,
        default=50,
        help="REST API calls allowed per 10-second window (X-AC-Call-Limit; default 50)",
    )
    parser.add_argument(
        "--fleet",
        type=int,
        default=0,
        help="also serve this many small stores, store k under /fleet/k/ with its own credentials",
    )
    parser.add_argument("--fleet-orders", type=int, default=3, help="orders in each fleet store")
    # The webhooks the store sends to its subscriptions (sandbox/rest/webhook_delivery.py).
    parser.add_argument("--webhook-loss", type=float, default=0.0, help="probability a webhook is silently dropped")
    parser.add_argument(
        "--webhook-delay",
        type=_delay,
        default=(0.0, 0.0),
        help="seconds a webhook waits before it is sent: S, or MIN..MAX (uniform)",
    )
    parser.add_argument("--webhook-duplicate", type=float, default=0.0, help="probability a webhook is sent twice")
    parser.add_argument(
        "--webhook-reorder", type=float, default=0.0, help="probability a webhook is held back behind later ones"
    )
    from . import BEHAVIOURS

    helps = {
        "window_precision": "minute: LastModified compared by minute (end 22:40 includes 22:40:21); "
        "exact: with its seconds against the minute bounds (end 22:40 is 22:40:00)",
        "sort": "export order by LastModified",
        "change_during_paging": "an order changed while a window is paged stays in it at its end (to_end) "
        "or leaves it (out)",
    }
    for name, values in BEHAVIOURS.items():
        parser.add_argument(
            f"--{name.replace('_', '-')}",
            choices=values,
            default=values[0],
            help=f"{helps[name]} (default {values[0]})",
        )


def serve(options: dict[str, Any], out: TextIO) -> None:
    """Start the store with the parsed `options`, print its line to `out`, serve until SIGINT/SIGTERM."""
    from . import run_sandbox

    faults = {"rate": options["fail_rate"]} if options["fail_rate"] else None
    try:
        server = run_sandbox(
            host=options["host"],
            port=options["port"],
            orders=options["orders"],
            seed=options["seed"],
            page_size=options["page_size"],
            now=options["now"],
            faults=faults,
            verbose=options["log_requests"],
            window_precision=options["window_precision"],
            sort=options["sort"],
            change_during_paging=options["change_during_paging"],
            fleet=options.get("fleet", 0),
            fleet_options={"orders": options.get("fleet_orders", 3)},
        )
        server.set_call_limit(options.get("call_limit") or 50)
        server.store.set_webhook_faults(
            loss=options.get("webhook_loss", 0.0),
            delay=options.get("webhook_delay", (0.0, 0.0)),
            duplicate=options.get("webhook_duplicate", 0.0),
            reorder=options.get("webhook_reorder", 0.0),
        )
    except (OSError, ValueError) as exc:
        raise SandboxStartError(f"Cannot start the sandbox store: {exc}") from exc
    stopping = threading.Event()

    def stop(signum: int, frame: object) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    out.write(
        f"Sandbox AmeriCommerce store: {server.endpoint_url} username={server.username} password={server.password}\n"
        f"Sandbox AmeriCommerce REST API: {server.rest_base_url} token={server.rest_token}\n"
    )
    out.flush()
    try:
        while not stopping.wait(0.5):
            pass
    finally:
        server.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m sandbox",
        description="Run the AmeriCommerce sandbox store (ShipStation Custom Store endpoint) for demos and tests.",
    )
    add_arguments(parser)
    try:
        serve(vars(parser.parse_args(argv)), sys.stdout)
    except SandboxStartError as exc:
        print(exc, file=sys.stderr)
        return 1
    return 0
