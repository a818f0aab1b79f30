from django.apps import AppConfig


class HooksConfig(AppConfig):
    """Real time on the REST road: a store's webhooks coming in (the receiver), the targeted fetches they
    queue, their counters, and subscribing and unsubscribing a store's webhooks. In the domain layer:
    it imports stores and orders (the one import path), nothing imports it."""

    name = "hooks"
    verbose_name = "Real time (store webhooks)"

    def ready(self) -> None:
        from orders.importing.idle import register_idle_work
        from stores import changes

        from .realtime import store_changed
        from .services import hooks_fetch_while_waiting

        # A check batch waiting for its slot fetches the orders a webhook named meanwhile.
        register_idle_work(hooks_fetch_while_waiting)
        # A store write that starts, ends or moves real time (or a store deleted) subscribes or revokes its
        # webhooks (hooks.realtime).
        changes.subscribe(store_changed)
