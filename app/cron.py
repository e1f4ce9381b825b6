"""The schedule run by ``rq cron app/cron.py``: every periodic job in one place."""

from rq import cron

from app.periodic import minute_tick

cron.register(minute_tick, queue_name="events", interval=60, job_timeout=55)

# Daily customer scan (RFM scores, idle customers) and nightly recommendation relearning.
from app.flows.idle import daily_customer_scan  # noqa: E402
from app.flows.recommendation_model import nightly_recommendations  # noqa: E402

cron.register(daily_customer_scan, queue_name="sync", cron="30 3 * * *", job_timeout=300)
cron.register(nightly_recommendations, queue_name="sync", cron="0 2 * * *", job_timeout=300)
