"""The order import engine.

    mapping.py   pure: an export order → the rows we write (no queries)
    snapshot.py  what a run holds: the digests of the orders held and skipped, the products written
    page.py      one export page's writes (import_page), constant queries per page
    emit.py      what a page tells the webhooks: its order events, its new orders built from its rows
    run.py       a whole run: claims, heartbeat, the page walk, spans, the tail check, the finish

Scheduling (import_tick, reconcile_tick, import_runs_reap, import_request, import_store_now) and the
entry point of a queued run (import_run_execute) live in orders.services; orders.tasks calls those.
"""
