"""The campaign's URLs, gathered from the view modules that own them.

- ``public_urlpatterns``: the public pages, in each language, under ``/<lang>/campaigns/``;
- ``root_urlpatterns``: machine-readable and language-free, under ``/campaigns/``
  (``count.json``, the proof-of-work challenge);
- ``staff_urlpatterns``: organizers and moderators, under ``/campaign/manage/``.
"""

from dadkhah.campaign import (
    views_abuse,
    views_count,
    views_mailbox,
    views_manage,
    views_org,
    views_public,
)

# views_manage last: its catch-all ``<slug>/`` must not shadow the fixed paths of the others.
_MODULES = (views_public, views_count, views_org, views_abuse, views_mailbox, views_manage)

public_urlpatterns = [p for m in _MODULES for p in m.public_urls]
root_urlpatterns = [p for m in _MODULES for p in m.root_urls]
staff_urlpatterns = [p for m in _MODULES for p in m.staff_urls]
