"""What the shipments app announces to the apps above it, which listen instead of being called by name.

    on_tracking_number_changed(fn)     fn(shipment): a shipment's tracking number was corrected (in the
                                       correcting transaction); the tracking app follows the new number

Apps register in their AppConfig.ready (as orders.importing.idle's work is registered); this app imports
none of them.
"""

from __future__ import annotations

from collections.abc import Callable

_tracking_number_changed: list[Callable] = []


def on_tracking_number_changed(fn: Callable) -> None:
    if fn not in _tracking_number_changed:
        _tracking_number_changed.append(fn)


def tracking_number_changed(shipment) -> None:
    for fn in list(_tracking_number_changed):
        fn(shipment)
