from django.apps import AppConfig
from django.db.models.signals import post_migrate


class RecommendationsConfig(AppConfig):
    name = "recommendations"
    verbose_name = "Reports and recommendations"

    def ready(self):
        from . import signals  # noqa: F401  (withdrawals and link changes, for syncing clients)
        from .roles import roles_sync

        post_migrate.connect(roles_sync, sender=self)
