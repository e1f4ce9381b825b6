"""The lifecycle scans in ``rq cron``'s schedule: the birthday scan every hour (each timezone's
day turns over on the hour), the replenishment scan daily, each enqueueing one job per active
shop that has its flow on, and the job of a shop running the scan (real Redis, real worker)."""

from __future__ import annotations

from datetime import date, timedelta

from rq import Queue
from rq.cron import _job_data_registry

from app.flows import birthday, replenishment
from app.flows.engine.settings import save_settings
from app.insights.birthdays import birthday_scan
from app.insights.replenishment import replenishment_scan
from app.models import LifecycleEmission, ShopScope, db
from app.pipeline import cron  # noqa: F401  (registers the schedule)


def _scheduled(name: str) -> dict:
    (job,) = [j for j in _job_data_registry if j["func"].__name__ == name]
    return job


def test_the_scans_are_in_the_cron_schedule():
    assert _scheduled("birthday_scan")["interval"] == 3600
    assert _scheduled("birthday_scan")["queue_name"] == "sync"
    assert _scheduled("replenishment_scan")["cron"] == "0 4 * * *"


def test_each_scan_enqueues_one_job_per_active_shop_with_its_flow_on(
    ready_shop, make_shop, redis_conn
):
    off = make_shop(n=2, settings={"address": "ul. Prosta 1"})
    gone = make_shop(n=3, settings={"address": "ul. Prosta 1"})
    for shop in (ready_shop, gone):
        save_settings(shop.id, birthday.FLOW, {}, enabled=True)
        save_settings(shop.id, replenishment.FLOW, {}, enabled=True)
    gone.status = "uninstalled"
    db.session.commit()
    assert off.id not in (ready_shop.id, gone.id)

    assert birthday_scan() == 1
    assert replenishment_scan() == 1
    jobs = Queue("sync", connection=redis_conn).job_ids
    assert len(jobs) == 2
    assert jobs[0].startswith(f"birthday-scan-{ready_shop.id}-")
    assert jobs[1].startswith(f"replenishment-scan-{ready_shop.id}-")


def test_the_enqueued_birthday_job_runs_the_shops_scan(
    ready_shop, make_customer, redis_conn, run_jobs
):
    save_settings(ready_shop.id, birthday.FLOW, {"days_before": 30}, enabled=True)
    # Tomorrow (whatever the hour in Warsaw), 28 years ago: a leap day stays a leap day.
    soon = date.today() + timedelta(days=1)
    make_customer(ready_shop, birthday=soon.replace(year=soon.year - 28))
    db.session.commit()

    birthday_scan()
    assert run_jobs("sync") == 1
    db.session.expire_all()
    (found,) = ShopScope(ready_shop.id).all(LifecycleEmission)
    assert found.kind == "birthday"
