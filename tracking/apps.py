from django.apps import AppConfig


class TrackingConfig(AppConfig):
    name = "tracking"
    verbose_name = "Carrier tracking"

    def ready(self) -> None:
        # A corrected tracking number is followed anew (the shipments app announces it; it never imports this app).
        from shipments.changes import on_tracking_number_changed

        from .services import tracking_follow_corrected

        on_tracking_number_changed(tracking_follow_corrected)
