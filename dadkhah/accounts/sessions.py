"""How long a login lasts, and ending them all at once.

- Every login lasts ``SESSION_COOKIE_AGE`` at most (DADKHAH_SESSION_HOURS), and ends at
  browser close with DADKHAH_SESSION_BROWSER_CLOSE=1 (Django's own settings).
- A login unused for ``SESSION_IDLE_SECONDS`` (DADKHAH_SESSION_IDLE_MINUTES) ends at its next
  request. The time of the last request is written at most once a minute, not on every one.
- "Log out everywhere" and a password change start a new epoch for the account
  (``SessionEpoch``); each session remembers the epoch it was opened in, and a session from
  an earlier one ends at its next request, whatever the session store.
"""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest

from dadkhah.accounts.models import SessionEpoch

__all__ = ["EPOCH_KEY", "SEEN_KEY", "end_everywhere", "expired", "touch", "stamp"]

EPOCH_KEY = "dadkhah_epoch"
SEEN_KEY = "dadkhah_seen"
TOUCH_EVERY = 60  # seconds between writes of the last-seen time


def stamp(request: HttpRequest, user: Any) -> None:
    """Record the account's current epoch and the time in a new login's session."""
    request.session[EPOCH_KEY] = SessionEpoch.current(user.pk)
    request.session[SEEN_KEY] = int(time.time())


@receiver(user_logged_in, dispatch_uid="dadkhah.accounts.sessions.stamp")
def _on_login(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if request is not None and hasattr(request, "session"):
        stamp(request, user)


def expired(request: HttpRequest, now: float | None = None) -> str | None:
    """Why the logged-in session of ``request`` must end, or None while it may go on."""
    user = request.user
    session = request.session
    epoch = session.get(EPOCH_KEY)
    if epoch is None or int(epoch) != SessionEpoch.current(user.pk):
        return "You were logged out on every device. Log in again."
    seen = session.get(SEEN_KEY)
    now = time.time() if now is None else now
    idle = int(getattr(settings, "SESSION_IDLE_SECONDS", 3600))
    if seen is None or now - float(seen) > idle:
        return f"You were logged out after {idle // 60} minutes without activity."
    return None


def touch(request: HttpRequest, now: float | None = None) -> None:
    now = time.time() if now is None else now
    if now - float(request.session.get(SEEN_KEY, 0)) >= TOUCH_EVERY:
        request.session[SEEN_KEY] = int(now)


def end_everywhere(request: HttpRequest | None, user: Any, keep_this: bool = False) -> int:
    """End every session of ``user``; with ``keep_this`` the session of ``request`` goes on
    in the new epoch (after a password change made in it). Returns the new epoch."""
    epoch = SessionEpoch.bump(user.pk)
    if request is not None:
        if keep_this:
            request.session[EPOCH_KEY] = epoch
        else:
            logout(request)
    return epoch
