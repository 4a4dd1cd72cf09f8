from django.contrib.admin.apps import AdminConfig


class PortalAdminConfig(AdminConfig):
    """The Django admin, with the portal's own site: its name and the editors' dashboard."""

    default_site = "cuspe_portal.admin.PortalAdminSite"
