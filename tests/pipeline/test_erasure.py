"""The Redis side of erasure, on the test's real Redis database: a whole shop's identifiers
(hundreds) are matched by the emails and phone numbers a value holds, a few by substring."""

from __future__ import annotations

import json

from app.pipeline import queues
from app.pipeline.erasure import scrub_redis


def test_a_whole_shops_identifiers_reach_jobs_and_keys_and_spare_the_rest(app, redis_conn):
    identifiers = [f"shopper{i}@example.com" for i in range(300)] + ["+48 601 234 987"]
    queues.queue("labels").enqueue("app.pipeline.ingest.process_delivery", "Shopper7@Example.com")
    redis_conn.set("storeflow:limit:x:shopper250@example.com", 1)
    redis_conn.set("storeflow:cache:a", json.dumps({"phone": "48601234987"}))
    redis_conn.set("storeflow:cache:b", json.dumps({"email": "stranger@example.com"}))
    queues.queue("labels").enqueue("app.pipeline.ingest.process_delivery", 42, job_id="kept")
    assert len(queues.queue("labels").get_job_ids()) == 2

    removed = scrub_redis(redis_conn, identifiers)

    assert removed == 3
    assert queues.queue("labels").get_job_ids() == ["kept"]
    assert redis_conn.get("storeflow:limit:x:shopper250@example.com") is None
    assert redis_conn.get("storeflow:cache:a") is None
    assert redis_conn.get("storeflow:cache:b") is not None


def test_one_persons_name_and_street_are_found_too(app, redis_conn):
    redis_conn.hset("storeflow:cache:h", mapping={"who": "Zofia Wąsowicz", "where": "ul. Długa 5"})
    redis_conn.rpush("storeflow:cache:l", "ul. Długa 5")
    redis_conn.set("storeflow:cache:z", "Zofia Nowak, ul. Krótka 1")

    assert scrub_redis(redis_conn, ["Zofia Wąsowicz", "ul. Długa 5"]) == 2

    assert redis_conn.keys("storeflow:cache:*") == [b"storeflow:cache:z"]
