from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "dadkhah.search"
    label = "search"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from dadkhah.search import tasks

        tasks.connect_signals()
