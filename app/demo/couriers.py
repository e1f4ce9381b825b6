"""Fake FAN Courier and Cargus APIs for the demo, at ``/demo/couriers/fan`` and ``/cargus``.

``make run`` points ``STOREFLOW_FAN_COURIER_URL`` and ``STOREFLOW_CARGUS_URL`` here, so the
demo shop can switch to either courier and print through the real adapters (login, locality
check, AWB, label, tracking, cancel, pickup). A fake AWB's number carries the minute it was
made; its tracking then moves one step a minute (``STEP``): picked up, in transit, out for
delivery, delivered. Registered only when the demo connector is enabled.
"""

from __future__ import annotations

import base64
import io
import json
import random
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Blueprint, Response, jsonify, request
from reportlab.lib.pagesizes import A6
from reportlab.pdfgen.canvas import Canvas

from app.connectors.couriers.cargus.mapping import EVENT_DELIVERED
from app.flows.engine import clock

bp = Blueprint("demo_couriers", __name__, url_prefix="/demo/couriers")
STEP = timedelta(minutes=1)
# Where the demo's Romanian customers live, as both couriers spell it.
LOCALITIES = (("Bucuresti", "Bucuresti"), ("Cluj", "Cluj-Napoca"), ("Iasi", "Iasi"))
# What each courier says at each step after the AWB: (FAN event id, FAN words, Cargus words).
SCRIPT = (
    ("C0", "Expeditie ridicata", "Expeditia a fost preluata de curier"),
    ("H4", "Sosire in depozit", "Expeditia este in tranzit"),
    ("S1", "Expeditie in livrare", "Expeditia a fost predata curierului spre livrare"),
    ("S2", "Livrat", "Expeditia a fost livrata"),
)


def _new_awb() -> str:
    """Epoch seconds then three random digits: the number says when it was made."""
    return f"{int(clock.now().timestamp())}{random.randint(100, 999)}"


def _events(awb: str) -> list[tuple[str, str, str, datetime]]:
    """The scans the parcel has had by now (none for a number we did not make)."""
    if not awb.isdigit() or len(awb) < 4:
        return []
    made = datetime.fromtimestamp(int(awb[:-3]), UTC)
    steps = int((clock.now() - made) / STEP)
    return [(*words, made + STEP * (n + 1)) for n, words in enumerate(SCRIPT[: max(steps, 0)])]


def _label(courier: str, awb: str) -> bytes:
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A6)
    canvas.setFont("Helvetica-Bold", 16)
    canvas.drawString(20, 360, f"{courier} (demo)")
    canvas.setFont("Helvetica", 12)
    canvas.drawString(20, 330, f"AWB {awb}")
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


# FAN Courier API v2.0
@bp.post("/fan/login")
def fan_login() -> Response:
    return jsonify({"status": "success", "data": {"token": "demo-fan-token"}})


@bp.get("/fan/reports/localities")
def fan_localities() -> Response:
    rows = [
        {"id": str(n), "name": name, "county": county}
        for n, (county, name) in enumerate(LOCALITIES)
    ]
    return jsonify({"status": "success", "data": rows})


@bp.post("/fan/intern-awb")
def fan_awb() -> Response:
    return jsonify({"response": [{"awbNumber": int(_new_awb()), "errors": None}]})


@bp.get("/fan/awb/label")
def fan_label() -> Response:
    awb = (request.args.getlist("awbs[]") or [""])[0]
    if request.args.get("zpl"):
        return Response(f"^XA^FO50,50^ADN,36,20^FDFAN demo {awb}^FS^XZ\n", mimetype="text/plain")
    return Response(_label("FAN Courier", awb), mimetype="application/pdf")


@bp.get("/fan/reports/awb/tracking")
def fan_tracking() -> Response:
    rows = []
    for awb in request.args.getlist("awb[]"):
        events = [
            {"id": code, "name": name, "location": "Bucuresti", "date": f"{at:%Y-%m-%d %H:%M:%S}"}
            for code, name, _, at in _events(awb)
        ]
        rows.append({"awbNumber": int(awb) if awb.isdigit() else awb, "events": events})
    return jsonify({"status": "success", "data": rows})


@bp.delete("/fan/awb")
def fan_delete() -> Response:
    return jsonify({"status": "success"})


@bp.post("/fan/order")
def fan_pickup() -> Response:
    return jsonify({"status": "success", "data": {"id": random.randint(1000, 9999)}})


# Cargus API v3
@bp.post("/cargus/LoginUser")
def cargus_login() -> Response:
    return jsonify("demo-cargus-token")


@bp.get("/cargus/Counties")
def cargus_counties() -> Response:
    counties = sorted({county for county, _ in LOCALITIES})
    return jsonify([{"CountyId": n, "Name": name} for n, name in enumerate(counties, 1)])


@bp.get("/cargus/Localities")
def cargus_localities() -> Response:
    counties = sorted({county for county, _ in LOCALITIES})
    county = counties[int(request.args.get("countyId", "1")) - 1]
    return jsonify(
        [{"LocalityId": n, "Name": name} for n, (c, name) in enumerate(LOCALITIES) if c == county]
    )


@bp.post("/cargus/Awbs")
def cargus_awb() -> Response:
    return jsonify(int(_new_awb()))


@bp.get("/cargus/AwbDocuments")
def cargus_label() -> Response:
    awb = (json.loads(request.args.get("barCodes", "[]")) or [""])[0]
    return jsonify(base64.b64encode(_label("Cargus", str(awb))).decode())


@bp.get("/cargus/AwbTrace")
def cargus_trace() -> Response:
    rows: list[dict[str, Any]] = []
    for awb in json.loads(request.args.get("barCode", "[]")):
        events = [
            {
                "Date": f"{at:%Y-%m-%dT%H:%M:%S}",
                "EventId": EVENT_DELIVERED if n == len(SCRIPT) else n,
                "Description": words,
                "LocalityName": "Bucuresti",
            }
            for n, (_, _, words, at) in enumerate(_events(str(awb)), 1)
        ]
        rows.append({"Code": str(awb), "Event": events})
    return jsonify(rows)


@bp.delete("/cargus/Awbs")
def cargus_delete() -> Response:
    return jsonify(1)


@bp.put("/cargus/Orders")
def cargus_pickup() -> Response:
    return jsonify(1)
