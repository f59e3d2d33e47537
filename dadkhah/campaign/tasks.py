"""Background work of the campaign's count: the tally batch (``tally.run``).

- :func:`count_signatures` is what :func:`dadkhah.campaign.tally.request` queues, a couple
  of seconds after a confirmation or a removal;
- :func:`count_signatures_regularly` runs it every minute as well, so nothing waits for a
  reader or a new confirmation when the queue lost a task.
"""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

# The emails' tasks (and the retention's daily upkeep) live beside the code that renders them; importing the module here is
# what registers them with the consumer, which only discovers `tasks` modules.
from dadkhah.campaign import (
    delivery_jobs,  # noqa: F401  (delivery packages asked for on the web; their expiry)
    emails,  # noqa: F401
    retention,  # noqa: F401  (its daily upkeep task)
)

__all__ = ["count_signatures", "count_signatures_regularly"]


@db_task()
def count_signatures() -> int:
    from dadkhah.campaign import tally

    return tally.run()


@db_periodic_task(crontab())
def count_signatures_regularly() -> int:
    from dadkhah.campaign import tally

    return tally.run()
