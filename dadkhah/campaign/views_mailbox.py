"""The demo's mailbox: the messages the local SMTP sink kept, at ``/campaigns/mailbox/``.

It exists only while the site sends to the local sink (``DADKHAH_SMTP_URL`` empty: the demo
and development), and answers 404 otherwise. Anyone who reaches such a site can read it,
confirmation links included; that is what lets a demo visitor confirm a signature.
"""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_safe

from dadkhah.campaign import mailsink

__all__ = ["mailbox", "public_urls", "root_urls", "staff_urls"]

SHOWN = 50  # the newest messages shown


@require_safe
def mailbox(request: HttpRequest) -> HttpResponse:
    if settings.CONFIG.smtp_url:  # mail really goes out: there is no local mailbox
        raise Http404("no local mailbox: email is sent through DADKHAH_SMTP_URL")
    received = mailsink.messages(SHOWN)
    response = render(
        request,
        "campaign/mailbox.html",
        {"received": received, "shown": SHOWN, "folder": mailsink.mail_dir()},
    )
    add_never_cache_headers(response)
    return response


public_urls: list[URLPattern] = []  # under /<lang>/campaigns/
root_urls: list[URLPattern] = [  # under /campaigns/ (no language prefix)
    path("mailbox/", mailbox, name="mailbox"),
]
staff_urls: list[URLPattern] = []  # under /campaign/manage/
