from django.apps import AppConfig


class HooksConfig(AppConfig):
    """Real time on the REST road: a store's webhooks coming in (the receiver), the targeted fetches they
    queue, their counters, and subscribing and unsubscribing a store's webhooks. In the domain layer:
    it imports stores and orders (the one import path), nothing imports it."""

    name = "hooks"
    verbose_name = "Real time (store webhooks)"

    def ready(self) -> None:
        from orders.importing.idle import register_idle_work
        from stores.realtime import register_unsubscriber

        from .services import hooks_fetch_while_waiting, hooks_unsubscribe_queue

        # A check batch waiting for its slot fetches the orders a webhook named meanwhile.
        register_idle_work(hooks_fetch_while_waiting)
        # A store leaving real time (or deleted) has its webhooks removed through a row of this app.
        register_unsubscriber(hooks_unsubscribe_queue)
