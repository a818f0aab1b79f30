from django.contrib.admin.apps import AdminConfig


class OutboundAdminConfig(AdminConfig):
    """django.contrib.admin with the operators' site (config.admin) as admin.site."""

    default_site = "config.admin.OperatorAdminSite"
