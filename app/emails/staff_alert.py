"""The email a shop's staff get when one of their alert rules fires, in the shop's language.

A few alerts go one email each; from ``DIGEST_FROM`` alerts in one batch they go as one
digest listing them (at most ``DIGEST_LINES``, then how many more). The texts are in the
emails' gettext catalog (``translations/``), English being the source.
"""

from __future__ import annotations

import html
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from flask import current_app

from app.emails.context import message_domain
from app.emails.i18n import format_money, resolve_locale, translations
from app.emails.senders import OutgoingEmail

DIGEST_FROM = 5
DIGEST_LINES = 200


@dataclass(frozen=True)
class AlertLine:
    """One alert as the staff read it: who, which rule, what the rule saw."""

    kind: str
    who: str  # the customer's name and email, or their id once erased
    threshold: Decimal | None
    detail: dict[str, Any]


def sentence(line: AlertLine, locale: str, currency: str) -> str:
    """What happened, in one sentence of the shop's language."""
    d, gettext = line.detail, translations(locale).gettext
    values = {
        "who": line.who,
        "score": d.get("score"),
        "level": int(line.threshold or 0),
        "total": format_money(d.get("cart_total", 0), d.get("currency") or currency, locale),
        "gap": d.get("usual_gap_days"),
        "days": d.get("days_since_order"),
        "product": d.get("product") or d.get("product_id"),
    }
    texts = {
        "score_above": gettext(
            "%(who)s: engagement score rose to %(score)s (your level: %(level)s)"
        ),
        "score_below": gettext(
            "%(who)s: engagement score fell to %(score)s (your level: %(level)s)"
        ),
        "cart_abandoned": gettext("%(who)s left a cart worth %(total)s"),
        "vip_overdue": gettext(
            "%(who)s, one of your best customers, usually orders every %(gap)s days "
            "and has not ordered for %(days)s days"
        ),
        "page_viewed": gettext("%(who)s viewed %(product)s"),
    }
    return texts[line.kind] % values


def compose(
    shop_name: str, shop_locale: str, currency: str, to: str, lines: list[AlertLine], page: str
) -> OutgoingEmail:
    """One alert, or a digest of many, for one staff address."""
    locale = resolve_locale(shop_locale)
    gettext, ngettext = translations(locale).gettext, translations(locale).ngettext
    said = [sentence(line, locale, currency) for line in lines[:DIGEST_LINES]]
    if len(lines) == 1:
        subject = gettext("Customer alert: %(what)s") % {"what": said[0]}
    else:
        subject = ngettext(
            "%(num)s customer alert · %(shop)s", "%(num)s customer alerts · %(shop)s", len(lines)
        ) % {"num": len(lines), "shop": shop_name}
    intro = gettext("Your alert rules in Storeflow found:")
    more = len(lines) - len(said)
    tail = [gettext("… and %(num)s more.") % {"num": more}] if more else []
    why = gettext("You get this email because this address is set for staff alerts.")
    where = gettext("Change the rules on the Customers page of Storeflow in your shop's admin")
    where_line = f"{where}: {page}" if page else where
    text = "\n".join([intro, "", *(f"- {s}" for s in said), *tail, "", where_line, why])
    items = "".join(f"<li>{html.escape(s)}</li>" for s in said)
    link = f'<a href="{html.escape(page)}">{html.escape(where)}</a>' if page else html.escape(where)
    body = (
        f"<p>{html.escape(intro)}</p><ul>{items}</ul>"
        + "".join(f"<p>{html.escape(t)}</p>" for t in tail)
        + f"<p>{link}</p><p><small>{html.escape(why)}</small></p>"
    )
    return OutgoingEmail(
        to=to,
        from_addr=current_app.config["MAIL_FROM"],
        from_name="Storeflow",
        subject=subject[:250],
        html=body,
        text=text,
        message_id=f"<sf.alert.{uuid.uuid4().hex}@{message_domain()}>",
    )
