from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "dadkhah.core"
    label = "core"
    verbose_name = "Dadkhah core"

    def ready(self) -> None:
        from django.core import checks

        from dadkhah.core.security import check_https_settings

        checks.register(check_https_settings, checks.Tags.security, deploy=True)
