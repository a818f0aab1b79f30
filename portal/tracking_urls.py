"""The buyers' public tracking page (portal/views/tracking_page.py): outside the portal's sign-in."""

from django.urls import path

from .views import tracking_page

app_name = "trackpage"

urlpatterns = [
    path("t/<str:token>/", tracking_page.shipment_page, name="shipment"),
    path("track/<slug:slug>/", tracking_page.lookup, name="lookup"),
]
