"""Issue 25 item 21: the carrier sandbox's fast clock (the demo's: a day a minute) dates its scans when they
happened for the person watching, never ahead of the real now. Over loopback HTTP, as karrio asks."""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from sandbox.carriers import run_carrier_sandbox
from sandbox.carriers.server import CLIENT_ID, CLIENT_SECRET


def _get(url: str, token: str) -> tuple[dict, datetime]:
    """The answer, and the moment the sandbox answered by its own HTTP `Date` header (the real now it saw)."""
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback
        return json.load(response), parsedate_to_datetime(response.headers["Date"])


def test_a_fast_clock_never_dates_a_scan_in_the_future():
    sandbox = run_carrier_sandbox(speed=1_000_000)  # the 50 hours of a parcel's story in a fifth of a second
    try:
        form = urllib.parse.urlencode({"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}).encode()
        with urllib.request.urlopen(f"{sandbox.base_url}/oauth2/v3/token", data=form, timeout=10) as response:  # noqa: S310
            token = json.load(response)["access_token"]
        url = f"{sandbox.base_url}/tracking/v3/tracking/9400FAST0001?expand=DETAIL"
        _, started = _get(url, token)  # before the label: the sandbox's real now, to the second
        sandbox.register("9400FAST0001")
        for _ in range(3000):  # until the sandbox's clock has delivered the parcel (a condition, not a pause)
            answer, asked_at = _get(url, token)
            if answer["status"] == "Delivered":
                break
        stamps = [
            datetime.strptime(e["eventTimestamp"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
            for e in answer["trackingEvents"]
        ]
        assert answer["status"] == "Delivered" and len(stamps) == 6
        assert all(stamp <= asked_at for stamp in stamps), [s.isoformat() for s in stamps]
        assert all(stamp >= started for stamp in stamps)  # and not before the label
        assert stamps == sorted(stamps, reverse=True)  # still in the story's order, newest first
        # The same scans the next time they are asked about (the dates are the scans' identity).
        again, _ = _get(url, token)
        assert again["trackingEvents"] == answer["trackingEvents"]
    finally:
        sandbox.stop()
