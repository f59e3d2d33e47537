from django.apps import AppConfig


class VaultConfig(AppConfig):
    name = "dadkhah.vault"
    label = "vault"
    verbose_name = "Evidence vault"
