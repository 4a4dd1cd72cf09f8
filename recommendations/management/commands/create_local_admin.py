import secrets
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

PASSWORD_FILE = Path(settings.BASE_DIR) / ".local-admin"


class Command(BaseCommand):
    """Create a superuser for local development and print its login (debug mode only).

    The generated password is kept in `.local-admin` (git-ignored, readable by you alone) so
    that each `make run` can print the login again; if you change the password, it says so.
    """

    help = "Create the local development superuser 'admin' and print its login."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("Refusing to create a development login with DJANGO_DEBUG off.")
        User = get_user_model()
        user = User.objects.filter(username="admin").first()
        if user is None:
            password = secrets.token_urlsafe(12)
            User.objects.create_superuser("admin", email="", password=password)
            PASSWORD_FILE.write_text(password)
            PASSWORD_FILE.chmod(0o600)
        else:
            password = PASSWORD_FILE.read_text().strip() if PASSWORD_FILE.exists() else ""
            if not password or not user.check_password(password):
                self.stdout.write(
                    "Admin login: user 'admin' (you changed its password; reset it with "
                    "`.venv/bin/python manage.py changepassword admin`)."
                )
                return
        self.stdout.write(
            self.style.SUCCESS(
                f"Admin login at http://127.0.0.1:8000/admin/ user: admin password: {password}"
            )
        )
