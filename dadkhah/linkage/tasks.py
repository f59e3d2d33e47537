"""Background work of the linkage app (huey): one linkage run.

``enqueue_run(run)`` queues ``link_run`` once the caller's transaction has committed, so
the consumer finds the run. ``services.execute_run`` does the work and keeps the run's
``status`` (pending → running → done, or failed with the reason), ``progress`` in percent
and ``stage`` up to date for the run page, which polls them.
"""

from __future__ import annotations

from django.db import transaction
from huey.contrib.djhuey import db_task

from dadkhah.linkage.models import LinkageRun

__all__ = ["enqueue_run", "link_run"]


def enqueue_run(run: LinkageRun) -> None:
    """Queue ``run`` when the current transaction commits."""
    run_id = run.pk
    transaction.on_commit(lambda: link_run(run_id))


@db_task(retries=0)
def link_run(run_id: int) -> None:
    from dadkhah.linkage import services

    try:
        services.execute_run(run_id)
    except Exception:  # noqa: BLE001 - recorded on the run by execute_run
        if not LinkageRun.objects.filter(pk=run_id, status="failed").exists():
            raise
