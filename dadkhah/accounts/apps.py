from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "dadkhah.accounts"
    label = "accounts"
    verbose_name = "Accounts"
