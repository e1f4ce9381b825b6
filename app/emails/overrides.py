"""Where the merchant's own email text is kept: the one reader and writer of ``email_overrides``.

Only what differs from our translated default is stored (a field set back to the default
loses its row), and nothing is stored before every field passed ``merchant_copy.check``.
"""

from __future__ import annotations

from collections.abc import Mapping

import sqlalchemy as sa

from app.emails import i18n, merchant_copy
from app.emails.merchant_defaults import default_copy
from app.models import EDITABLE_FIELDS, EmailOverride, FlowRun, ShopScope


class CopyRefused(ValueError):
    """One or more fields were refused; nothing was stored."""

    def __init__(self, errors: list[merchant_copy.CopyError]) -> None:
        super().__init__("; ".join(str(e) for e in errors))
        self.errors = errors


def stored_copy(shop_id: int, flow_key: str, step: int, locale: str) -> dict[str, str]:
    """The merchant's text of one step in one language, by field (only the changed ones)."""
    rows = ShopScope(shop_id).all(
        EmailOverride,
        EmailOverride.flow_key == flow_key,
        EmailOverride.step == step,
        EmailOverride.locale == i18n.resolve_locale(locale),
    )
    return {row.field: row.text for row in rows}


def copy_for_message(shop_id: int, run_id: int, step: int, locale: str) -> dict[str, str]:
    """The merchant's text for a message of a run (its flow read in the same query)."""
    flow_key = (
        sa.select(FlowRun.flow_key)
        .where(FlowRun.id == run_id, FlowRun.shop_id == shop_id)
        .scalar_subquery()
    )
    scope = ShopScope(shop_id)
    rows = scope.session.scalars(
        scope.select(
            EmailOverride,
            EmailOverride.flow_key == flow_key,
            EmailOverride.step == step,
            EmailOverride.locale == i18n.resolve_locale(locale),
        )
    )
    return {row.field: row.text for row in rows}


def editable_copy(
    shop_id: int, flow_key: str, step: int, template: str, locale: str
) -> dict[str, str]:
    """Every editable field as the merchant sees it: theirs where changed, else our default."""
    return {**default_copy(template, locale), **stored_copy(shop_id, flow_key, step, locale)}


def check_copy(template: str, texts: Mapping[str, str]) -> dict[str, str]:
    """The fields normalised, or ``CopyRefused`` naming each refused one and where."""
    allowed = merchant_copy.variables_for(template)
    errors, checked = [], {}
    for field in EDITABLE_FIELDS:
        text = merchant_copy.normalized(texts.get(field) or "")
        try:
            merchant_copy.check(field, text, allowed)
        except merchant_copy.CopyError as exc:
            errors.append(exc)
        checked[field] = text
    if errors:
        raise CopyRefused(errors)
    return checked


def save_copy(
    shop_id: int, flow_key: str, step: int, template: str, locale: str, texts: Mapping[str, str]
) -> dict[str, str]:
    """Store the fields that differ from our default (and drop the rows of those that no
    longer do); returns what is now stored. The caller commits."""
    locale = i18n.resolve_locale(locale)
    checked = check_copy(template, texts)
    defaults = default_copy(template, locale)
    scope = ShopScope(shop_id)
    existing = {
        row.field: row
        for row in scope.all(
            EmailOverride,
            EmailOverride.flow_key == flow_key,
            EmailOverride.step == step,
            EmailOverride.locale == locale,
        )
    }
    for field, text in checked.items():
        row = existing.get(field)
        if text == defaults.get(field, ""):
            if row is not None:
                scope.session.delete(row)
        elif row is None:
            scope.add(
                EmailOverride(flow_key=flow_key, step=step, locale=locale, field=field, text=text)
            )
        else:
            row.text = text
    scope.session.flush()
    return stored_copy(shop_id, flow_key, step, locale)


def reset_copy(shop_id: int, flow_key: str, step: int, locale: str) -> int:
    """Back to our default text for one step in one language; how many fields were changed."""
    result = ShopScope(shop_id).session.execute(
        ShopScope(shop_id).delete(
            EmailOverride,
            EmailOverride.flow_key == flow_key,
            EmailOverride.step == step,
            EmailOverride.locale == i18n.resolve_locale(locale),
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)
