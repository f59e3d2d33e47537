"""WSGI entry point (gunicorn dadkhah.wsgi).

Anonymous reads of cached public pages (``count.json``, the campaign pages) are answered by
the fast path in front of Django (:mod:`dadkhah.campaign.fastread`) while fresh.
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dadkhah.settings")
django_application = get_wsgi_application()

from django.conf import settings  # noqa: E402 (after the settings are configured)

from dadkhah.campaign.fastread import FastRead  # noqa: E402

application = FastRead(django_application, session_cookie=settings.SESSION_COOKIE_NAME)
