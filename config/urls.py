from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "Outbound operations"
admin.site.site_title = "Outbound"
admin.site.index_title = "Operations"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include("api.urls")),
    path("hooks/", include("hooks.urls")),
    path("", include("ops.urls")),  # /health/live, /health/ready, /metrics
    path("", include("portal.urls")),
]
