"""A long-running process's heap, settled once after start-up.

A worker holds Django, the connectors and karrio: some 100 MB of objects that live as long as the process.
Python's full collections walk every one of them (about 50 ms each here), and an import of 2,000 orders
triggers several, a third of its CPU time. `settle()` collects what start-up left and moves everything alive
into the permanent generation (`gc.freeze`), so later full collections walk only what tasks allocate; a
process that forks workers after it also keeps those pages shared. Called once per process: by each django-q2
worker when it starts (ops/apps.py), by the WSGI application once loaded (config/wsgi.py), and by the
benchmarks that run the importer in process as a worker runs it (bench/import_bench.py)."""

from __future__ import annotations

import gc
import os

_settled_in: set[int] = set()


def settle() -> bool:
    """Collect, then freeze what is alive; once per process (a forked child settles again). True when it did."""
    if os.getpid() in _settled_in:
        return False
    _settled_in.add(os.getpid())
    gc.collect()
    gc.freeze()
    return True
