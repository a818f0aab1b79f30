from django.apps import AppConfig


class HooksConfig(AppConfig):
    """Real time on the REST road: a store's webhooks coming in (the receiver), the targeted fetches they
    queue, their counters, and subscribing and unsubscribing a store's webhooks. In the domain layer:
    it imports stores and orders (the one import path), nothing imports it."""

    name = "hooks"
    verbose_name = "Real time (store webhooks)"
