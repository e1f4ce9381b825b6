"""The schedule run by ``rq cron app/cron.py``: every periodic job in one place."""

from rq import cron

from app.periodic import minute_tick

cron.register(minute_tick, queue_name="events", interval=60, job_timeout=55)

from app.connectors.woocommerce.reconcile import reconcile_stores  # noqa: E402

cron.register(reconcile_stores, queue_name="sync", interval=900, job_timeout=120)

# Shopify (issue 3): daily webhook-subscription reconcile + backfill, nightly catalog sync.
from app.connectors.shopify.catalog import nightly_catalog_reconcile  # noqa: E402
from app.connectors.shopify.reconcile import daily_reconcile  # noqa: E402

cron.register(daily_reconcile, queue_name="sync", cron="15 3 * * *", job_timeout=300)
cron.register(nightly_catalog_reconcile, queue_name="sync", cron="45 2 * * *", job_timeout=600)
