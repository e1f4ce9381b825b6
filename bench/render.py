"""How fast abandoned-cart emails render: Jinja2 + mjml-python against node's mjml.

Renders abandoned_cart_1 for 1,000 varied carts (1-5 lines, three locales, with and without
names, compare-at prices and logos) and prints a table:

- ``storeflow, signed links``: what a flow step does for each email: the real signed open
  pixel, click redirects and unsubscribe link (``tracking_context``) and a signed restore link,
  then the whole render. This is the goal's figure (>= 1,000 emails/s per core, >= 10x node);
- ``storeflow render_email``: the whole job (Jinja2 copy and layout, MJML -> HTML, text part)
  with plain links, to show what signing costs;
- ``mjml-python (MRML)``: only the MJML -> HTML step, on the very MJML sources;
- ``node mjml``: the reference ``mjml`` npm package compiling the same sources in one node
  process (installed by this script with npm into bench/mjml-node/, ignored by git).

Run: .venv/bin/python bench/render.py [--carts 1000]. With ``BENCH_SCALE=small``: 50 carts,
one round, and node only when its package is already installed.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from mjml import mjml2html
from scratch import SMALL, bench_config, report, sized

from app import create_app
from app.emails.mjml_sections import forget_kept
from app.emails.rendering import render_email, render_mjml
from app.emails.restore_links import restore_link
from app.emails.tracking import tracking_context
from app.models import Cart, Shop

HERE = os.path.dirname(os.path.abspath(__file__))
NODE_DIR = os.path.join(HERE, "mjml-node")
TITLES = ["Linen shirt", "Wool scarf", "Leather belt", "Cotton chinos", "Merino sweater"]
VARIANTS = ["", "S", "M / White", "L / Navy", "42"]
NAMES = ["", "Ola", "Ana", "Jan", "Ioana", "Zoë"]
TEMPLATE = "abandoned_cart_1"


def carts(count: int, seed: int = 5) -> list[tuple[dict[str, Any], str]]:
    rng = random.Random(seed)
    result = []
    for n in range(count):
        items = []
        for line in range(rng.randint(1, 5)):
            price = Decimal(rng.randint(1500, 40000)) / 100
            items.append(
                {
                    "title": f"{rng.choice(TITLES)} #{n}-{line}",
                    "variant_title": rng.choice(VARIANTS),
                    "image_url": f"https://cdn.example/p/{n}/{line}.jpg",
                    "quantity": rng.randint(1, 3),
                    "unit_price": price,
                    "compare_at_price": price * Decimal("1.2") if rng.random() < 0.3 else None,
                    "url": f"https://shop.example/products/{n}-{line}",
                }
            )
        context = {
            "shop": {
                "name": f"Shop {n % 37}",
                "logo_url": "https://cdn.example/logo.png" if n % 2 else None,
                "primary_color": rng.choice(["#0f766e", "#b91c1c", "#1d4ed8"]),
                "address": "ul. Prosta 1, 00-001 Warszawa",
            },
            "customer": {"first_name": rng.choice(NAMES)},
            "items": items,
            "total": sum(i["unit_price"] * i["quantity"] for i in items),
            "currency": rng.choice(["PLN", "RON", "EUR"]),
            "restore_url": f"https://shop.example/cart/restore/{n}",
            "unsubscribe_url": f"https://storeflow.example/u/{n}",
            "open_pixel_url": f"https://storeflow.example/t/o/{n}.gif",
        }
        result.append((context, rng.choice(["en", "pl", "ro"])))
    return result


ROUNDS = sized(3, 1)
GOAL_PER_SECOND, GOAL_VS_NODE = 1000, 10.0


def _timed(func: Any, *args: Any) -> float:
    """CPU seconds of this process (not wall time: "per core"), best of ROUNDS, as timeit
    does: other load on the machine only ever adds time, so the minimum is the fair figure.
    Each round starts cold: no section HTML kept from the round before (``forget_kept``), so
    the figure includes compiling the new head and section shapes, as a new worker does."""
    best = float("inf")
    for _ in range(ROUNDS):
        forget_kept()
        start = time.process_time()
        func(*args)
        best = min(best, time.process_time() - start)
    return best


def _render_all(batch: list[tuple[dict[str, Any], str]]) -> None:
    for context, locale in batch:
        render_email(TEMPLATE, context, locale)


def _render_signed(batch: list[tuple[dict[str, Any], str]]) -> None:
    """As the abandoned-cart step does: every link of the email signed for its message."""
    shop = Shop(id=7, platform="demo", domain="bench.example")
    for n, (context, locale) in enumerate(batch):
        full = {**context, **tracking_context(7, 1000 + n, f"c{n}@example.com", locale, 5000 + n)}
        full["restore_url"] = restore_link(shop, Cart(cart_key=f"cart-{n}"), "BACK-K7Q2ZP", 2e9)
        render_email(TEMPLATE, full, locale)


def _compile_all(sources: list[str]) -> None:
    for source in sources:
        mjml2html(source)


NODE_SCRIPT = """
const mjml = require('mjml');
const sources = JSON.parse(require('fs').readFileSync(process.argv[1], 'utf8'));
// Warm-up (the Python side has compiled its templates once) and a check that our MJML is
// valid for the reference compiler: strict validation throws on any error.
mjml(sources[0], {validationLevel: 'strict'});
let best = Infinity;
for (let round = 0; round < Number(process.argv[2]); round++) {
  const start = process.cpuUsage();
  for (const source of sources) { mjml(source, {validationLevel: 'skip'}); }
  const used = process.cpuUsage(start);
  best = Math.min(best, (used.user + used.system) / 1e6);
}
console.log(best);
"""


def _node_seconds(sources: list[str]) -> float | None:
    if not os.path.isdir(os.path.join(NODE_DIR, "node_modules", "mjml")):
        if SMALL:
            return None
        print("installing the mjml npm package into bench/mjml-node/ ...", file=sys.stderr)
        subprocess.run(["npm", "install", "--no-audit", "--no-fund"], cwd=NODE_DIR, check=True)
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(sources, handle)
    try:
        out = subprocess.run(
            ["node", "-e", NODE_SCRIPT, handle.name, str(ROUNDS)],
            cwd=NODE_DIR,
            capture_output=True,
            text=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError) as exc:
        print(f"node mjml could not run: {exc}", file=sys.stderr)
        return None
    finally:
        os.unlink(handle.name)
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--carts", type=int, default=sized(1000, 50))
    count = parser.parse_args().carts
    batch = carts(count)
    for locale in ("en", "pl", "ro"):  # warm-up: compile the templates once, like a worker
        render_email(TEMPLATE, batch[0][0], locale)
    sources = [render_mjml(TEMPLATE, context, locale) for context, locale in batch]
    with create_app(bench_config("render")).app_context():
        signed = _timed(_render_signed, batch)
    node_seconds = _node_seconds(sources)  # installs the package on a first full run
    rows = [
        ("storeflow, signed links (Jinja2 + MRML + text)", signed),
        ("storeflow render_email, plain links", _timed(_render_all, batch)),
        ("mjml-python (MRML), MJML -> HTML only", _timed(_compile_all, sources)),
        ("node mjml " + _node_version() + ", MJML -> HTML only", node_seconds),
    ]
    node = rows[3][1]
    print(f"\n{count} abandoned-cart emails; CPU seconds of one process, best of {ROUNDS}\n")
    print(f"| {'engine':<50} | {'seconds':>8} | {'emails/s':>9} | {'vs node':>8} |")
    print(f"|{'-' * 52}|{'-' * 10}|{'-' * 11}|{'-' * 10}|")
    for name, seconds in rows:
        if seconds is None:
            print(f"| {name:<50} | {'n/a':>8} | {'n/a':>9} | {'n/a':>8} |")
            continue
        ratio = f"{node / seconds:.1f}x" if node else "n/a"
        print(f"| {name:<50} | {seconds:>8.3f} | {count / seconds:>9.0f} | {ratio:>8} |")
    per_second = count / signed
    report(
        "render: emails/s per core, signed links",
        f"{per_second:,.0f}/s",
        f">= {GOAL_PER_SECOND:,}/s",
        per_second >= GOAL_PER_SECOND,
        f"plain links {count / rows[1][1]:,.0f}/s",
    )
    if node:
        report(
            "render: vs node mjml (same MJML)",
            f"{node / signed:.1f}x",
            f">= {GOAL_VS_NODE:.0f}x",
            node / signed >= GOAL_VS_NODE,
            f"node {count / node:,.0f}/s",
        )
    else:
        report("render: vs node mjml (same MJML)", "not run", f">= {GOAL_VS_NODE:.0f}x", None)


def _node_version() -> str:
    try:
        with open(os.path.join(NODE_DIR, "node_modules", "mjml", "package.json")) as handle:
            return str(json.load(handle)["version"])
    except OSError:
        return ""


if __name__ == "__main__":
    main()
