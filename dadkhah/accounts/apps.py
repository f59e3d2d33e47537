from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "dadkhah.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from dadkhah.accounts import sessions  # noqa: F401  (connects the login signal)
