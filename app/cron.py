"""The schedule run by ``rq cron app/cron.py``: every periodic job in one place."""

from rq import cron

from app.periodic import minute_tick

cron.register(minute_tick, queue_name="events", interval=60, job_timeout=55)

from app.connectors.woocommerce.reconcile import reconcile_stores  # noqa: E402

cron.register(reconcile_stores, queue_name="sync", interval=900, job_timeout=120)
