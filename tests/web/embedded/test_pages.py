"""The merchant's pages: home (checklist, flow cards, chart), a flow's page (settings in
hours and days, recent runs and why they stopped or wait), the store page; their language
(the admin's, then the shop's), the shop's money and time, and their weight."""

from __future__ import annotations

import os
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from app.flows import abandoned_cart, reactivation
from app.flows.engine.settings import is_enabled, save_settings, settings_for
from app.models import AuditLog, FlowRun, Order, ShopScope, db, utcnow
from app.models.shop_settings import HistoryImport
from app.web.embedded import i18n

PAGE_DIRS = (
    os.path.dirname(i18n.__file__),
    os.path.join(os.path.dirname(os.path.dirname(i18n.__file__)), "templates", "embedded"),
)


def _ids(catalog) -> dict[str, object]:
    return {
        (m.id[0] if isinstance(m.id, list | tuple) else m.id): (
            tuple(m.string) if isinstance(m.string, list | tuple) else m.string
        )
        for m in catalog
        if m.id
    }


def test_every_string_of_the_pages_is_in_the_catalog_and_translated_in_polish_and_romanian():
    """A new or changed string must be extracted and translated (see babel.cfg beside i18n.py)."""
    found = set()
    for directory, method in zip(PAGE_DIRS, ("python", "jinja2"), strict=True):
        pattern = "**.py" if method == "python" else "**.html"
        # The email editor's strings live in their own catalog (babel-editor.cfg).
        editor = [(name, "ignore") for name in ("emails.py", "emails_text.py", "emails.html")]
        for message in extract_from_dir(directory, [*editor, (pattern, method)]):
            found.add(message[2] if isinstance(message[2], str) else message[2][0])
    with open(os.path.join(i18n.TRANSLATIONS_DIR, "page.pot"), "rb") as pot_file:
        pot = _ids(read_po(pot_file))
    assert found - pot.keys() == set()
    for locale in ("pl", "ro"):
        base = os.path.join(i18n.TRANSLATIONS_DIR, locale, "LC_MESSAGES", "page")
        with open(f"{base}.po", "rb") as po_file, open(f"{base}.mo", "rb") as mo_file:
            po, mo = _ids(read_po(po_file)), _ids(read_mo(mo_file))
        assert po.keys() == pot.keys()
        assert [k for k, v in po.items() if not v or (isinstance(v, tuple) and not all(v))] == []
        assert po == mo


def test_the_page_speaks_the_admins_language_when_the_platform_says_it_then_the_shops(
    merchant, shop
):
    browser = merchant(shop)  # a Polish shop
    assert '<html lang="pl">' in browser.get("/embedded/").get_data(as_text=True)
    first_load = browser.get("/embedded/?locale=ro-RO").get_data(as_text=True)
    assert '<html lang="ro">' in first_load and "Primii pași" in first_load
    # page.js carries the admin's language on every later request.
    later = browser.get("/embedded/flows/abandoned_cart", headers={"X-Storeflow-Locale": "en"})
    assert "First email after" in later.get_data(as_text=True)
    # A language we have no words in falls back to the shop's.
    assert '<html lang="pl">' in browser.get("/embedded/?locale=de_DE").get_data(as_text=True)


def test_home_card_switch_turns_a_flow_on_and_off_and_each_change_is_audited(merchant, ready_shop):
    browser = merchant(ready_shop)
    on = browser.post("/embedded/flows/abandoned_cart/switch", data={"enabled": "1"})
    assert on.status_code == 200
    assert "Przypomnienia o porzuconym koszyku: włączone" in on.get_data(as_text=True)
    assert is_enabled(ready_shop.id, "abandoned_cart")
    off = browser.post("/embedded/flows/abandoned_cart/switch", data={"enabled": "0"})
    assert 'aria-checked="false"' in off.get_data(as_text=True).split('id="flow-abandoned_cart"')[1]
    assert not is_enabled(ready_shop.id, "abandoned_cart")
    changes = [e.details["enabled"] for e in ShopScope(ready_shop.id).all(AuditLog)]
    assert changes == [[False, True], [True, False]]
    # The settings it did not touch stay as they were.
    assert settings_for(ready_shop.id, abandoned_cart.FLOW) == abandoned_cart.FLOW.defaults()


def test_settings_are_grouped_basic_and_advanced_in_merchant_words_and_units(merchant, shop):
    page = merchant(shop).get("/embedded/flows/reactivation").get_data(as_text=True)
    basic, advanced = page.split("<summary>Zaawansowane</summary>")
    assert "Pierwszy e-mail po" in basic and "Grupa testowa bez e-maili" in advanced
    shown = page.split("<main>")[1].replace("_minutes", "")  # field names keep the key
    assert "minut" not in shown and "Inactivity" not in shown
    # 7 days of the second email's delay shown as 168 hours; the idle time in days.
    assert 'name="reactivation-email_2_delay_minutes" value="168"' in page
    assert 'name="reactivation-idle_days" value="90"' in page
    assert '<a class="button" href="/embedded/flows/reactivation/emails">' in page


def test_a_delay_typed_in_hours_with_a_comma_is_stored_in_minutes(merchant, shop):
    data = {
        f"reactivation-{k}": str(v)
        for k, v in reactivation.FLOW.defaults().items()
        if not isinstance(v, bool)
    }
    data["reactivation-email_1_delay_minutes"] = "1,5"
    data["reactivation-email_2_delay_minutes"] = "168"
    response = merchant(shop).post("/embedded/flows/reactivation", data=data)
    assert response.status_code == 200, response.get_data(as_text=True)[-2000:]
    stored = settings_for(shop.id, reactivation.FLOW)
    assert (stored["email_1_delay_minutes"], stored["email_2_delay_minutes"]) == (90, 10080)


def test_the_flow_page_lists_recent_runs_with_whom_when_next_and_why(
    merchant, ready_shop, make_customer
):
    save_settings(ready_shop.id, abandoned_cart.FLOW, {}, enabled=True)
    scope = ShopScope(ready_shop.id)
    ola = make_customer(ready_shop, email="ola@example.pl")
    start = utcnow() - timedelta(hours=3)
    scope.add(
        FlowRun(
            flow_key="abandoned_cart",
            subject_key="cart:1",
            customer_id=ola.id,
            state="active",
            started_at=start,
            next_step_at=datetime(2030, 1, 1, 6, 0, tzinfo=UTC),
            context={"deferred": "quiet_hours", "deferrals": 1},
        )
    )
    scope.add(
        FlowRun(
            flow_key="abandoned_cart",
            subject_key="cart:2",
            state="cancelled",
            started_at=start - timedelta(hours=1),
            ended_at=start,
            end_reason="order_placed",
            context={"email": "jan@example.pl"},
        )
    )
    scope.add(FlowRun(flow_key="cross_sell", subject_key="order:9", started_at=start))
    db.session.commit()
    page = merchant(ready_shop).get("/embedded/flows/abandoned_cart").get_data(as_text=True)
    rows = page.split("<tbody>")[1].split("</tbody>")[0].split("<tr")[1:]
    assert len(rows) == 2  # the cross-sell run is not this flow's
    assert "ola@example.pl" in rows[0] and "czeka na następny e-mail" in rows[0]
    assert "1 sty 2030, 07:00" in rows[0]  # next email in the shop's time (Warsaw, UTC+1)
    assert "odłożony do rana (noc)" in rows[0]
    assert "jan@example.pl" in rows[1] and "klient złożył zamówienie" in rows[1]


def test_the_chart_shows_each_flows_revenue_by_the_shops_day(merchant, make_shop):
    shop = make_shop(locale="en", timezone="Europe/Warsaw")
    scope = ShopScope(shop.id)
    # Half past midnight today in Warsaw: still the day before in UTC (whatever the hour now).
    warsaw = ZoneInfo("Europe/Warsaw")
    midnight = datetime.combine(datetime.now(warsaw).date(), time(0, 30), warsaw)
    today = midnight.astimezone(UTC)
    assert today.date() < midnight.date()
    order = scope.add(
        Order(platform_order_id="1", total=Decimal("120.00"), placed_at=today, paid_at=today)
    )
    db.session.flush()
    scope.add(
        FlowRun(
            flow_key="abandoned_cart",
            subject_key="cart:1",
            state="converted",
            started_at=today - timedelta(hours=2),
            converted_order_id=order.id,
        )
    )
    db.session.commit()
    page = merchant(shop).get("/embedded/").get_data(as_text=True)
    legend = page.split('<ul class="sf-legend">')[1].split("</ul>")[0]
    assert "Abandoned cart reminders: <strong>PLN120.00</strong>" in legend
    last_row = page.split("</tbody></table>")[0].rsplit("<tr>", 1)[1]
    assert "PLN120.00" in last_row  # the last day of the chart: today in Warsaw
    assert "<polyline" in page and 'role="img"' in page


def test_each_page_with_its_script_and_styles_weighs_under_150_kilobytes(merchant, ready_shop):
    browser = merchant(ready_shop)
    assets = sum(
        len(browser.get(f"/embedded/static/{name}").data) for name in ("page.js", "page.css")
    )
    for url in ("/embedded/", "/embedded/flows/abandoned_cart", "/embedded/store"):
        response = browser.get(url)
        assert response.status_code == 200
        assert len(response.data) + assets < 150 * 1024, url


def test_a_page_of_a_flow_we_do_not_have_is_not_found(merchant, shop):
    assert merchant(shop).get("/embedded/flows/nope").status_code == 404
    assert merchant(shop).get("/embedded/flows/shipping_notice").status_code == 404


def test_the_store_page_says_how_far_the_import_of_past_orders_got(merchant, shop):
    browser = merchant(shop)  # a Polish shop
    page = browser.get("/embedded/store").get_data(as_text=True)
    assert "Wcześniejsze zamówienia nie zostały jeszcze zaimportowane." in page
    shop.history_import = HistoryImport(
        state="running", orders=1200, error="HTTP 502", limited_to_days=60
    )
    db.session.commit()
    page = browser.get("/embedded/store", headers={"X-Storeflow-Locale": "en"}).get_data(
        as_text=True
    )
    assert "Importing your past orders: 1,200 orders so far." in page
    assert "we are trying again" in page and "last 60 days of orders" in page
    shop.history_import = HistoryImport(state="done", orders=5)
    db.session.commit()
    page = browser.get("/embedded/store?locale=ro-RO").get_data(as_text=True)
    assert "5 comenzi anterioare importate." in page
