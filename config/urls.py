from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "Outbound operations"
admin.site.site_title = "Outbound"
admin.site.index_title = "Operations"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include("api.urls")),
    path("hooks/", include("hooks.urls")),
    path("", include("ops.urls")),
    path(
        "", include("portal.tracking_urls")
    ),  # /t/<token>/ and /track/<slug>/: the buyers' tracking page  # /health/live, /health/ready, /metrics
    path("", include("portal.urls")),
]
