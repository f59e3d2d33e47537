from django.apps import AppConfig


class RecordsConfig(AppConfig):
    name = "dadkhah.records"
    label = "records"
    verbose_name = "Case record"
