"""`python -m sandbox.carriers --port 8767 --speed 720`: the carrier sandbox on its own (the demo runs it).

Prints one line, "Carrier sandbox: <url> client_id=… client_secret=…", then serves until stopped. Its
truth (every label sold and voided): GET <url>/_sandbox/truth."""

from __future__ import annotations

import argparse
import signal
import threading

from .server import CLIENT_ID, CLIENT_SECRET, DEFAULT_LATENCY, CarrierSandbox


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m sandbox.carriers", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8767, help="0 for any free port")
    parser.add_argument(
        "--speed",
        type=float,
        default=720.0,
        help="sandbox seconds per real second (720: a parcel's 50 hours pass in about 4 minutes)",
    )
    parser.add_argument("--error-rate", type=float, default=0.0, help="share of requests answered with a 500")
    parser.add_argument(
        "--latency",
        type=float,
        default=DEFAULT_LATENCY,
        help=f"seconds before each rating, shipping and void answer (default {DEFAULT_LATENCY})",
    )
    parser.add_argument("--tracking-latency", type=float, default=0.0, help="seconds before each tracking answer")
    parser.add_argument("--seed", type=int, default=None, help="repeatable tracking numbers")
    args = parser.parse_args(argv)
    server = CarrierSandbox(
        args.host,
        args.port,
        speed=args.speed,
        latency=args.latency,
        tracking_latency=args.tracking_latency,
        seed=args.seed,
    )
    server.faults.error_rate = args.error_rate
    server.start()
    print(f"Carrier sandbox: {server.base_url} client_id={CLIENT_ID} client_secret={CLIENT_SECRET}", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    server.stop()


if __name__ == "__main__":
    main()
