"""Driving a real WordPress + WooCommerce store as its admin, its shoppers and an outsider.

Everything here talks HTTP to the store and to the service, like a person would: the admin
signs in through ``wp-login.php`` and presses the plugin's buttons; shoppers use a real
Chromium; the store's REST API is read with the admin's cookie and a ``wp_rest`` nonce.
"""

from __future__ import annotations

import email
import html
import mailbox
import os
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email.message import Message
from email.policy import default as default_policy
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import parse_qs, urljoin, urlparse

import requests
import sqlalchemy as sa

T = TypeVar("T")


@dataclass(frozen=True)
class Acceptance:
    """What the run is pointed at, from ``STOREFLOW_ACCEPT_*`` environment variables."""

    store_url: str
    admin_user: str
    admin_password: str
    service_url: str
    database_url: str
    maildir: str
    ca_bundle: str | bool
    chromium: str
    stop_service: str
    start_service: str

    @classmethod
    def from_env(cls) -> Acceptance | None:
        env = os.environ
        needed = ("WC_URL", "WC_ADMIN_USER", "WC_ADMIN_PASSWORD", "SERVICE_URL")
        if not all(env.get(f"STOREFLOW_ACCEPT_{name}") for name in needed):
            return None
        return cls(
            store_url=env["STOREFLOW_ACCEPT_WC_URL"].rstrip("/"),
            admin_user=env["STOREFLOW_ACCEPT_WC_ADMIN_USER"],
            admin_password=env["STOREFLOW_ACCEPT_WC_ADMIN_PASSWORD"],
            service_url=env["STOREFLOW_ACCEPT_SERVICE_URL"].rstrip("/"),
            database_url=env.get("STOREFLOW_ACCEPT_DATABASE_URL", ""),
            maildir=env.get("STOREFLOW_ACCEPT_MAILDIR", ""),
            ca_bundle=env.get("STOREFLOW_ACCEPT_CA_BUNDLE") or True,
            chromium=env.get("STOREFLOW_ACCEPT_CHROMIUM", "/usr/bin/chromium"),
            stop_service=env.get("STOREFLOW_ACCEPT_STOP_SERVICE", ""),
            start_service=env.get("STOREFLOW_ACCEPT_START_SERVICE", ""),
        )


def wait_for(what: str, probe: Callable[[], T | None], timeout: float, every: float = 5) -> T:
    """Poll ``probe`` until it returns something truthy; fail naming ``what`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not seen within {timeout:.0f} s")
        time.sleep(every)


class Http:
    """A requests session whose CA bundle wins over ``REQUESTS_CA_BUNDLE`` in the environment
    (requests lets the environment override ``Session.verify``)."""

    def __init__(self, ca_bundle: str | bool) -> None:
        self.session = requests.Session()
        self.verify = ca_bundle

    def request(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", 60)
        return self.session.request(method, url, verify=self.verify, **kwargs)

    def get(self, url: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> requests.Response:
        return self.request("POST", url, **kwargs)


def hidden_inputs(form: str) -> dict[str, str]:
    """name → value of every hidden input in a piece of HTML, attributes in any order."""
    fields = {}
    for tag in re.findall(r"<input\b[^>]*>", form):
        attrs = dict(re.findall(r'(\w[\w-]*)="([^"]*)"', tag))
        if attrs.get("type") == "hidden" and "name" in attrs:
            fields[attrs["name"]] = html.unescape(attrs.get("value", ""))
    return fields


def _form_fields(page: str, action: str) -> dict[str, str]:
    """Hidden fields of the admin-post form whose ``action`` input is ``action``."""
    match = re.search(r'<form[^>]*admin-post\.php"[^>]*>(.*?)</form>', page, re.S)
    assert match, "no admin-post form on the Storeflow settings page"
    fields = hidden_inputs(match.group(1))
    assert fields.get("action") == action, f"the settings page offers {fields.get('action')!r}"
    return fields


class WpAdmin:
    """The store's administrator in a browser-like session."""

    SETTINGS_PAGE = "/wp-admin/admin.php?page=storeflow"
    DASHBOARD_PAGE = "/wp-admin/admin.php?page=storeflow-dashboard"

    def __init__(self, acc: Acceptance) -> None:
        self.acc = acc
        self.http = Http(acc.ca_bundle)
        self._nonce = ""

    def url(self, path: str) -> str:
        return urljoin(self.acc.store_url + "/", path.lstrip("/"))

    def log_in(self) -> None:
        self.http.session.cookies.set("wordpress_test_cookie", "WP Cookie check")
        answer = self.http.post(
            self.url("/wp-login.php"),
            data={
                "log": self.acc.admin_user,
                "pwd": self.acc.admin_password,
                "wp-submit": "Log In",
                "testcookie": "1",
                "redirect_to": self.url("/wp-admin/"),
            },
        )
        assert "/wp-admin/" in answer.url and answer.status_code == 200, (
            f"admin login failed: {answer.status_code} {answer.url}"
        )

    def settings_page(self) -> str:
        answer = self.http.get(self.url(self.SETTINGS_PAGE))
        assert answer.status_code == 200, f"settings page: HTTP {answer.status_code}"
        return answer.text

    def press(self, action: str) -> requests.Response:
        """Press the settings page's Connect or Disconnect button (its nonce included)."""
        fields = _form_fields(self.settings_page(), action)
        return self.http.post(
            self.url("/wp-admin/admin-post.php"), data=fields, allow_redirects=False
        )

    def connect(self) -> str:
        """Connect, approve on WooCommerce's wc-auth screen; the page we land on."""
        answer = self.press("storeflow_connect")
        assert answer.status_code == 302, f"Connect: HTTP {answer.status_code}"
        authorize = answer.headers["Location"]
        assert "/wc-auth/v1/authorize" in authorize, f"Connect sent the admin to {authorize}"
        screen = self.http.get(authorize)
        links = re.findall(r'href="([^"]*wc-auth/v1/access_granted[^"]*)"', screen.text)
        assert links, "wc-auth shows no Approve link"
        approved = self.http.get(html.unescape(links[0]), allow_redirects=False)
        assert approved.status_code == 302, f"Approve: HTTP {approved.status_code}"
        assert "success=1" in approved.headers["Location"], approved.headers["Location"]
        back = self.http.get(approved.headers["Location"])
        return back.text

    def disconnect(self) -> str:
        answer = self.press("storeflow_disconnect")
        assert answer.status_code == 302, f"Disconnect: HTTP {answer.status_code}"
        return answer.headers["Location"]

    def merchant_session(self) -> Http:
        """Open the plugin's dashboard page and follow its iframe into the service."""
        page = self.http.get(self.url(self.DASHBOARD_PAGE)).text
        frame = re.search(r'<iframe\b[^>]*\ssrc="([^"]+)"', page)
        assert frame, "the Storeflow dashboard shows no frame (not connected?)"
        src = html.unescape(frame.group(1))
        merchant = Http(self.acc.ca_bundle)
        answer = merchant.get(src)
        assert answer.status_code == 200 and "/embedded/" in answer.url, (
            f"merchant sign-in: HTTP {answer.status_code} {answer.url}"
        )
        # No cookie signs the page in: every later request carries the store's token, the way
        # the page's own script sends it.
        token = parse_qs(urlparse(src).query)["wp_token"][0]
        merchant.session.headers["Authorization"] = f"WordPress {token}"
        return merchant

    # --- the store's REST API, as this admin (cookie + wp_rest nonce) ---

    def rest(self, method: str, route: str, **kwargs: Any) -> Any:
        if not self._nonce:
            self._nonce = self.http.get(self.url("/wp-admin/admin-ajax.php?action=rest-nonce")).text
        answer = self.http.request(
            method,
            self.url("/wp-json/" + route.lstrip("/")),
            headers={"X-WP-Nonce": self._nonce},
            **kwargs,
        )
        assert answer.status_code < 300, (
            f"{method} {route}: HTTP {answer.status_code} {answer.text[:300]}"
        )
        return answer.json()

    def api_key_rows(self) -> list[str]:
        """Descriptions of the REST keys listed under WooCommerce → Settings → Advanced."""
        page = self.http.get(
            self.url("/wp-admin/admin.php?page=wc-settings&tab=advanced&section=keys")
        ).text
        return [html.unescape(d) for d in re.findall(r'class="row-title"[^>]*>([^<]+)</a>', page)]


class ServiceDb:
    """Read-only look at what the service stored (the truth the merchant page shows)."""

    def __init__(self, url: str) -> None:
        url = url.replace("postgresql://", "postgresql+psycopg://", 1)
        self.engine = sa.create_engine(url)

    def rows(self, sql: str, **params: Any) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(sa.text(sql), params)]

    def one(self, sql: str, **params: Any) -> dict[str, Any] | None:
        found = self.rows(sql, **params)
        return found[0] if found else None


class Mailbox:
    """The SMTP sink's maildir: every message the service handed to SMTP."""

    def __init__(self, path: str) -> None:
        self.path = Path(path)

    def messages(self) -> Iterator[Message]:
        box = mailbox.Maildir(self.path, create=True)
        for key in box.iterkeys():
            with box.get_file(key) as handle:
                yield email.message_from_binary_file(handle, policy=default_policy)

    def to(self, address: str) -> list[Message]:
        found = [m for m in self.messages() if address.lower() in str(m["To"]).lower()]
        return sorted(found, key=lambda m: str(m["Date"]))


def body_text(message: Message) -> str:
    part = message.get_body(preferencelist=("plain", "html"))  # type: ignore[attr-defined]
    return part.get_content() if part is not None else ""


def form_values(page: str, action: str) -> dict[str, str]:
    """What a browser would submit from the form posting to ``action``, as the page shows it."""
    start = page.index(f'action="{action}"')
    form = page[start : page.index("</form>", start)]
    values = hidden_inputs(form)
    for tag in re.findall(r"<input\b[^>]*>", form):
        attrs = dict(re.findall(r'(\w[\w-]*)="([^"]*)"', tag))
        name, kind = attrs.get("name"), attrs.get("type", "text")
        if not name or kind == "hidden":
            continue
        if kind == "checkbox":
            if re.search(r"\schecked[\s>=]", tag):
                values[name] = html.unescape(attrs.get("value", "on"))
        else:
            values[name] = html.unescape(attrs.get("value", ""))
    for name, options in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', form, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected', options) or re.search(
            r'<option value="([^"]*)"', options
        )
        values[name] = html.unescape(chosen.group(1)) if chosen else ""
    for name, text in re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', form, re.S):
        values[name] = html.unescape(text.strip())
    return values


def submit(
    merchant: Http,
    base: str,
    action: str,
    changes: dict[str, str | bool],
    page_path: str = "/embedded/",
) -> str:
    """Submit the form posting to ``action`` on the merchant page at ``page_path`` with
    ``changes`` (``False`` unticks a box); the page after."""
    page = merchant.get(base + page_path).text
    values = form_values(page, action)
    for name, value in changes.items():
        if value is False:
            values.pop(name, None)
        else:
            values[name] = "y" if value is True else str(value)
    answer = merchant.post(base + action, data=values)
    assert answer.status_code == 200, f"{action}: HTTP {answer.status_code}: {answer.text[-600:]}"
    return answer.text
