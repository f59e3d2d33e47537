from django.apps import AppConfig


class MemorialConfig(AppConfig):
    name = "dadkhah.memorial"
    label = "memorial"
    verbose_name = "Public memorial"

    def ready(self) -> None:
        from dadkhah.memorial.publication import connect_signals

        connect_signals()
