"""The schedule run by ``rq cron app/cron.py``: every periodic job in one place."""

from rq import cron

from app.periodic import minute_tick

cron.register(minute_tick, queue_name="events", interval=60, job_timeout=55)
