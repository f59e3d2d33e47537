from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "dadkhah.core"
    label = "core"
    verbose_name = "Dadkhah core"
