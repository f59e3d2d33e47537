from django.apps import AppConfig


class DossiersConfig(AppConfig):
    name = "dadkhah.dossiers"
    label = "dossiers"
    verbose_name = "Dossiers"
