from django.apps import AppConfig


class LinkageConfig(AppConfig):
    name = "dadkhah.linkage"
    label = "linkage"
    verbose_name = "Victim-list linkage"
