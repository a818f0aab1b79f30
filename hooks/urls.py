from django.urls import path

from stores.connector import registry

from . import views

app_name = "hooks"

# One receiver per platform with webhooks, at the segment its connection type declares (/hooks/<receiver>/<token>/;
# the URL name is the segment). Live subscriptions call these URLs: a segment never changes.
urlpatterns = [
    path(f"{receiver}/<str:token>/", views.receiver, name=receiver) for receiver in registry.realtime_receivers()
]
