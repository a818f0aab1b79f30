from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from . import views, views_endofday, views_label_batches, views_reports, views_rules, views_shipping, views_webhooks

app_name = "api"

router = DefaultRouter()
router.register("stores", views.StoreViewSet, basename="store")
router.register("import-runs", views.ImportRunViewSet, basename="import-run")
router.register("orders", views.OrderViewSet, basename="order")
router.register("shipments", views.ShipmentViewSet, basename="shipment")
router.register("products", views.ProductViewSet, basename="product")
router.register("package-presets", views_shipping.PackagePresetViewSet, basename="package-preset")
router.register("ship-from", views_shipping.ShipFromViewSet, basename="ship-from")
router.register("manifests", views_endofday.ManifestViewSet, basename="manifest")
router.register("tags", views_rules.TagViewSet, basename="tag")
router.register("presets", views_rules.ShippingPresetViewSet, basename="preset")
router.register("rules", views_rules.RuleViewSet, basename="rule")
router.register("label-batches", views_label_batches.LabelBatchViewSet, basename="label-batch")
router.register("webhooks", views_webhooks.WebhookSubscriptionViewSet, basename="webhook")
router.register("webhook-deliveries", views_webhooks.WebhookDeliveryViewSet, basename="webhook-delivery")

urlpatterns = [
    path("v1/insights/", views_reports.InsightsView.as_view(), name="insights"),
    path("v1/", include(router.urls)),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
]
