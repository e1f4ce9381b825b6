"""The schedule run by ``rq cron app/pipeline/cron.py``: every periodic job in one place."""

from rq import cron

from app.connectors.shopify.catalog import nightly_catalog_reconcile
from app.connectors.shopify.reconcile import daily_reconcile
from app.connectors.woocommerce.reconcile import reconcile_stores
from app.insights.alerts import alert_scan
from app.insights.birthdays import birthday_scan
from app.insights.browsing import browse_scan
from app.insights.idle import daily_customer_scan
from app.insights.recommendation_model import nightly_recommendations
from app.insights.replenishment import replenishment_scan
from app.insights.send_time import nightly_send_times
from app.pipeline.periodic import minute_tick
from app.pipeline.storefront import forget_old_events
from app.pipeline.visitors import link_claimed_checkouts
from app.shipping.digest import daily_tracking_digest
from app.shipping.tracking import PLAN_EVERY, plan_tracking

# Every minute: what Redis may have lost (stuck deliveries) and flow steps that are due.
cron.register(minute_tick, queue_name="events", interval=60, job_timeout=55)
# WooCommerce never retries and disables failing webhooks: re-enable them and backfill orders.
cron.register(reconcile_stores, queue_name="sync", interval=900, job_timeout=120)
# Shopify: recreate subscriptions it deleted after failures, backfill; nightly catalog check.
cron.register(daily_reconcile, queue_name="sync", cron="15 3 * * *", job_timeout=300)
cron.register(nightly_catalog_reconcile, queue_name="sync", cron="45 2 * * *", job_timeout=600)
# Recommendations relearned nightly; the daily scan scores RFM and finds idle customers.
cron.register(nightly_recommendations, queue_name="sync", cron="0 2 * * *", job_timeout=300)
cron.register(daily_customer_scan, queue_name="sync", cron="30 3 * * *", job_timeout=300)
# Each customer's best hour for "best time" steps, relearned from opens, clicks and orders.
cron.register(nightly_send_times, queue_name="sync", cron="45 3 * * *", job_timeout=300)
# Shipments followed to the door: due tracking checks, at each courier's pace.
cron.register(
    plan_tracking,
    queue_name="labels",
    interval=int(PLAN_EVERY.total_seconds()),
    job_timeout=120,
)
# The merchant's morning digest of yesterday's delivery problems and returns.
cron.register(daily_tracking_digest, queue_name="labels", cron="0 6 * * *", job_timeout=120)
# Storefront events are kept for each shop's retention (90 days by default), then deleted.
cron.register(forget_old_events, queue_name="sync", cron="15 4 * * *", job_timeout=1800)
# Checkouts a storefront claimed before the shop's webhook said whose: checked again.
cron.register(link_claimed_checkouts, queue_name="sync", interval=300, job_timeout=120)
# Shoppers who looked at a product again and again: found every 10 minutes.
cron.register(browse_scan, queue_name="sync", interval=600, job_timeout=300)
# Staff alerts on abandoned carts and watched product pages (the others follow the daily scan).
cron.register(alert_scan, queue_name="flows", interval=300, job_timeout=120)
# Birthdays near, in each shop's own calendar: hourly, so every timezone's day is seen.
cron.register(birthday_scan, queue_name="sync", interval=3600, job_timeout=300)
# Customers due to buy a product again: daily, after the nightly model learned the gaps.
cron.register(replenishment_scan, queue_name="sync", cron="0 4 * * *", job_timeout=300)
