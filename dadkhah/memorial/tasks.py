"""Background work of the memorial: forgetting what the contribution form keeps briefly.

Every 10 minutes the task consumer (started by ``dadkhah serve``) deletes the keyed hashes
of network addresses whose rate-limit window has ended, and the proof-of-work answers whose
challenge has expired (``contribute.purge``), so neither outlives its purpose when nobody
submits the form for a while.
"""

from __future__ import annotations

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

__all__ = ["purge_contribution_traces"]


@db_periodic_task(crontab(minute="*/10"))
def purge_contribution_traces() -> None:
    from dadkhah.memorial import contribute

    contribute.purge(timezone.now(), contribute.limits())
