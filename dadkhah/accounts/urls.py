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
    path("tokens/<int:pk>/revoke/", views.revoke_token, name="revoke_token"),
    path("logout-everywhere/", views.end_everywhere, name="end_everywhere"),
    path("password/", views.PasswordChangeView.as_view(), name="password"),
]
