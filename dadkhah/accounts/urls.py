"""The account pages under /accounts/ (the login page itself is ``login``, named at the
root so that ``{% url 'login' %}`` keeps working)."""

from __future__ import annotations

from django.urls import path

from dadkhah.accounts import views

app_name = "accounts"

urlpatterns = [
    path("", views.account, name="account"),
    path("two-factor/", views.verify, name="verify"),
    path("two-factor/setup/", views.enrol, name="enrol"),
    path("two-factor/recovery-codes/", views.recovery_codes, name="recovery_codes"),
    # Under two-factor/: open to a session that has passed the password only.
    path("two-factor/key/", views.security_key_login, name="security_key_login"),
    path(
        "two-factor/key/options/",
        views.security_key_login_options,
        name="security_key_login_options",
    ),
    path("security-keys/new/", views.security_key_add, name="security_key_add"),
    path("security-keys/options/", views.security_key_options, name="security_key_options"),
    path("tokens/<int:pk>/revoke/", views.revoke_token, name="revoke_token"),
    path("logout-everywhere/", views.end_everywhere, name="end_everywhere"),
    path("password/", views.PasswordChangeView.as_view(), name="password"),
]
