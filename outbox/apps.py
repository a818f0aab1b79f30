from django.apps import AppConfig


class OutboxConfig(AppConfig):
    """The generic outbox. Below the domain: it imports no app that uses it; each of those registers its
    kinds' handlers from its own AppConfig.ready."""

    name = "outbox"
