from django.contrib.admin.apps import AdminConfig


class PortalAdminConfig(AdminConfig):
    """The Django admin, with the portal's own site: its name and the editors' dashboard.

    It is also the portal's own app, so it starts the page cache's watch on content changes.
    """

    default_site = "cuspe_portal.admin.PortalAdminSite"

    def ready(self):
        super().ready()
        from cuspe_portal.cache import connect_signals

        connect_signals()
