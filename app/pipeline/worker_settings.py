"""Settings for ``rq worker -c app.pipeline.worker_settings`` (see the Procfile).

RQ imports this module once when the worker starts: it builds the one app the worker's jobs
run in, each job in a fresh app context. Building it here, at the process's entry, keeps the
job plumbing (``queues``) free of any import of the app factory.
"""

from __future__ import annotations

from app import create_app
from app.pipeline import queues

_APP = create_app()
queues.serve_jobs_with(_APP)

REDIS_URL = _APP.config["REDIS_URL"]
