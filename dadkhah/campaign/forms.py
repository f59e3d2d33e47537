"""The public signing form. Its fields are checked by :mod:`dadkhah.campaign.signing`'s
rules, so the form and :func:`~dadkhah.campaign.signing.submit` say the same thing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy

from dadkhah.campaign import signing
from dadkhah.campaign.models import Visibility

__all__ = ["SignForm", "visibility_choices"]


def visibility_choices() -> list[tuple[str, Any]]:
    return [
        (Visibility.PRIVATE.value, gettext_lazy("My name goes to the recipients only")),
        (Visibility.PUBLIC.value, gettext_lazy("My name may also be shown on this site")),
        (Visibility.ANONYMOUS.value, gettext_lazy("Count me only: my name goes nowhere")),
    ]


def _checked(rule: Callable[[str], Any], value: str) -> Any:
    try:
        return rule(value)
    except signing.SignError as exc:
        raise forms.ValidationError(str(exc)) from None


class SignForm(forms.Form):
    # No max_length here: signing's rules give the clearer message (and the same one the
    # programmatic path gives); the template's inputs carry maxlength for browsers.
    name = forms.CharField(label=gettext_lazy("Your name"), required=False, strip=False)
    email = forms.CharField(label=gettext_lazy("Your email"), required=False)
    country = forms.CharField(label=gettext_lazy("Country"), required=False)
    city = forms.CharField(label=gettext_lazy("City (optional)"), required=False)
    visibility = forms.ChoiceField(
        label=gettext_lazy("Your name"),
        choices=visibility_choices,
        initial=Visibility.PRIVATE.value,
        error_messages={"invalid_choice": gettext_lazy("Choose how your name may be used.")},
    )
    consent = forms.BooleanField(
        label=gettext_lazy("I agree to how my signature is used, as described above."),
        required=False,
    )
    newsletter = forms.BooleanField(
        label=gettext_lazy("Send me news of this campaign (optional)."), required=False
    )

    def clean_name(self) -> str:
        return str(_checked(signing.clean_name, self.cleaned_data.get("name", "")))

    def clean_email(self) -> str:
        raw = self.cleaned_data.get("email", "")
        _checked(signing.normalize_email, raw)
        return str(raw).strip()

    def clean_country(self) -> str:
        return str(_checked(signing.clean_country, self.cleaned_data.get("country", "")))

    def clean_city(self) -> str:
        return str(_checked(signing.clean_city, self.cleaned_data.get("city", "")))

    def clean_consent(self) -> bool:
        if not self.cleaned_data.get("consent"):
            raise forms.ValidationError(
                gettext_lazy("Consent: tick the box to agree to how your signature is used.")
            )
        return True

    def sign_data(self) -> signing.SignData:
        data = self.cleaned_data
        return signing.SignData(
            name=data["name"],
            email=data["email"],
            country=data["country"],
            city=data["city"],
            visibility=data["visibility"],
            consent=bool(data["consent"]),
            newsletter=bool(data["newsletter"]),
        )
