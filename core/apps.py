from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Practice"

    def ready(self):
        from . import pages
        from .models import PracticeProfile

        # Every public page shows the practice's name.
        pages.clear_on_change(PracticeProfile)


class PracticeAdminConfig(admin_apps.AdminConfig):
    """django.contrib.admin with the two-factor admin site (core.admin_site) as admin.site.

    Listed in INSTALLED_APPS in place of "django.contrib.admin"; not core's own config.
    """

    default = False
    default_site = "core.admin_site.PracticeAdminSite"
