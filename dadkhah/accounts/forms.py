"""Forms of the account pages."""

from __future__ import annotations

from django import forms

from dadkhah.accounts.models import TOKEN_ROLES

__all__ = ["CodeForm", "TokenForm"]


class CodeForm(forms.Form):
    code = forms.CharField(
        label="Authentication code",
        max_length=32,
        help_text="The six digits your authenticator app shows now, or one recovery code.",
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "text", "autofocus": True}
        ),
    )


class TokenForm(forms.Form):
    name = forms.CharField(label="Token name", max_length=100, help_text="What it is for.")
    role = forms.ChoiceField(
        label="Role",
        choices=[(r.value, r.value) for r in TOKEN_ROLES],
        help_text="The most the token may do; never more than your own role.",
    )
    days = forms.IntegerField(label="Days until it expires", min_value=1, max_value=366, initial=90)
