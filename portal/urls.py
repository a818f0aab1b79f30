from django.contrib.auth import views as auth_views
from django.urls import include, path

from .views import carriers, dashboard, orders, stores, team

portal_patterns = [
    path("", dashboard.dashboard, name="dashboard"),
    path("workspace/switch/", dashboard.tenant_switch, name="tenant_switch"),
    path("stores/", stores.store_index, name="store_list"),
    path("stores/connect/", stores.connect_start, name="connect_start"),
    path("stores/connect/details/", stores.connect_details, name="connect_details"),
    path("stores/connect/mapping/", stores.connect_mapping, name="connect_mapping"),
    path("stores/<int:pk>/", stores.store_settings, name="store_settings"),
    path("stores/<int:pk>/import/", stores.store_import_now, name="store_import_now"),
    path("stores/<int:pk>/reconcile/", stores.store_reconcile, name="store_reconcile"),
    path("stores/<int:pk>/unmapped/<int:unmapped_pk>/add/", stores.unmapped_add, name="unmapped_add"),
    path("stores/<int:pk>/skipped/", stores.store_skipped, name="store_skipped"),
    path("stores/<int:pk>/email-preview/", stores.email_preview, name="email_preview"),
    path("stores/<int:pk>/imports/<int:run_pk>/progress", stores.import_progress, name="import_progress"),
    path("orders/", orders.order_list, name="order_list"),
    path("orders/<int:pk>/", orders.order_detail, name="order_detail"),
    path("orders/<int:pk>/ship/", orders.order_ship, name="order_ship"),
    path("orders/<int:pk>/hold/", orders.order_hold, name="order_hold"),
    path("orders/<int:pk>/release/", orders.order_release, name="order_release"),
    path("orders/<int:pk>/notes/", orders.order_notes, name="order_notes"),
    path("orders/<int:pk>/attention/clear/", orders.order_attention_clear, name="order_attention_clear"),
    path("shipments/<int:pk>/retry/", orders.shipment_retry, name="shipment_retry"),
    path("shipments/<int:pk>/deliver/", orders.shipment_deliver, name="shipment_deliver"),
    path("shipments/<int:pk>/void/", orders.shipment_void, name="shipment_void"),
    path("users/", team.users, name="users"),
    path("users/<int:pk>/role/", team.user_role, name="user_role"),
    path("users/<int:pk>/remove/", team.user_remove, name="user_remove"),
    path("users/<int:pk>/resend/", team.invitation_resend_view, name="invitation_resend"),
    path("users/<int:pk>/revoke/", team.invitation_revoke_view, name="invitation_revoke"),
    path("api-keys/", team.api_keys, name="api_keys"),
    path("carriers/", carriers.carrier_accounts, name="carrier_accounts"),
    path("carriers/<int:pk>/", carriers.carrier_account_edit, name="carrier_account_edit"),
    path("carriers/<int:pk>/test/", carriers.carrier_account_test_view, name="carrier_account_test"),
    path("carriers/<int:pk>/remove/", carriers.carrier_account_remove, name="carrier_account_remove"),
    path("api-keys/<int:pk>/revoke/", team.api_key_revoke, name="api_key_revoke"),
]

# The portal's pages live in the "portal" namespace; sign-in, sign-out and password reset keep
# Django's un-namespaced names (LOGIN_URL = "login"; the reset e-mail reverses "password_reset_confirm").
urlpatterns = [
    path("", include((portal_patterns, "portal"))),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("invitation/<uidb64>/<token>/", team.InvitationAcceptView.as_view(), name="invitation_accept"),
    path("", include("django.contrib.auth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
]
