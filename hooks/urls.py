from django.urls import path

from . import views

app_name = "hooks"

urlpatterns = [path("americommerce/<str:token>/", views.americommerce_receiver, name="americommerce")]
