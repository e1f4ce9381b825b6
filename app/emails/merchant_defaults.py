"""Our translated copy blocks as the text a merchant edits (the editor's prefill).

Each template's blocks are rendered with a marker in place of each variable, and the markers
written back as ``{{ first_name }}``...; where our template says something else when a value is
missing (no first name, no code), both texts are kept in ``{% if %}...{% else %}...{% endif %}``.
Stored as the merchant's text, this default renders the very same email as ours (a test holds
the two equal for every editable template and language).
"""

from __future__ import annotations

import re

from jinja2 import UndefinedError

from app.emails.rendering import TemplateContextError, copy_blocks
from app.models.emails import EDITABLE_FIELDS

_MARK = re.compile(r"\x01(\w+)\x02")


def default_copy(template: str, locale: str) -> dict[str, str]:
    """Every editable field of ``template`` in ``locale`` as merchant text."""
    full = _marked_copy(template, locale, first_name=True, discount=True)
    if full is None:
        raise TemplateContextError(f"{template} has copy blocks needing more than its variables")
    variants = (
        ("first_name", _marked_copy(template, locale, first_name=False, discount=True)),
        ("discount_code", _marked_copy(template, locale, first_name=True, discount=False)),
    )
    result = {}
    for field, text in full.items():
        for name, variant in variants:
            if variant is not None and variant[field] != text:
                text = f"{{% if {name} %}}{text}{{% else %}}{variant[field]}{{% endif %}}"
                break
        result[field] = text
    return result


def _mark(name: str) -> str:
    return f"\x01{name}\x02"


def _marked_copy(
    template: str, locale: str, *, first_name: bool, discount: bool
) -> dict[str, str] | None:
    """The copy blocks with a marker for each variable (None when the template cannot do
    without what was left out, e.g. the third reminder without its code)."""
    data = {
        "customer": {"first_name": _mark("first_name") if first_name else ""},
        "shop": {"name": _mark("shop_name")},
        "discount": {"percentage": _mark("discount_percent"), "code": _mark("discount_code")}
        if discount
        else None,
        "total_price": _mark("cart_total"),
        "restore_url": "",
        "shop_url": "",
        "product_url": "",
        "tracking": {"company": "", "url": "", "number": ""},
    }
    try:
        copy = copy_blocks(template, locale, data)
    except UndefinedError:
        return None
    return {
        field: _MARK.sub(r"{{ \1 }}", " ".join(copy[field].split()))
        for field in EDITABLE_FIELDS
        if field in copy
    }
