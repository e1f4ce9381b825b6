"""The merchant's own words in an email: a small template language, sandboxed and checked.

A merchant rewrites an email's subject, preheader, heading, body and button as text with a
few variables (``{{ first_name }}``, ``{{ shop_name }}``...) and ``{% if %}``. The text runs in
Jinja's ``SandboxedEnvironment`` and, before that, is held to a whitelist: the variables this
email has, a handful of text filters, ``if``/``else``; anything else (attribute access, calls,
loops, includes) is refused with the line and column where it stands. Refused text is never
stored, so what is stored always renders. The output is plain text: the layout escapes it
into the HTML, and the legal footer and the unsubscribe link stay in the layout, out of reach.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from jinja2 import StrictUndefined, Template, TemplateSyntaxError, nodes
from jinja2.sandbox import SandboxedEnvironment

from app.emails import i18n
from app.models.emails import EDITABLE_FIELDS

REQUIRED_FIELDS = frozenset({"subject", "headline", "cta"})
MAX_LENGTH = {"subject": 200, "preheader": 250, "headline": 200, "intro": 3000, "cta": 60}
# Which emails show a cart (its total) and which carry a discount code.
SHOWS_CART = frozenset({"abandoned_cart_1", "abandoned_cart_2", "abandoned_cart_3"})
DISCOUNTED = frozenset({"abandoned_cart_3", "reactivation_2", "welcome_1", "birthday"})
BASE_VARIABLES = ("first_name", "shop_name")
CART_VARIABLES = ("cart_total",)
DISCOUNT_VARIABLES = ("discount_code", "discount_percent", "discount_expiry")
ALL_VARIABLES = BASE_VARIABLES + CART_VARIABLES + DISCOUNT_VARIABLES
FILTERS = frozenset({"upper", "lower", "title", "capitalize", "trim", "default"})
_ALLOWED_NODES = (
    nodes.Output,
    nodes.TemplateData,
    nodes.Name,
    nodes.Const,
    nodes.If,
    nodes.Filter,
    nodes.Not,
    nodes.And,
    nodes.Or,
    nodes.CondExpr,
    nodes.Concat,
    nodes.Compare,
    nodes.Operand,
)
# How a refused construct is named to the merchant (the rest by Jinja's node name).
_CONSTRUCTS = {
    nodes.For: "{% for %}",
    nodes.Assign: "{% set %}",
    nodes.AssignBlock: "{% set %}",
    nodes.Macro: "{% macro %}",
    nodes.Include: "{% include %}",
    nodes.Extends: "{% extends %}",
    nodes.Import: "{% import %}",
    nodes.FromImport: "{% from %}",
    nodes.Block: "{% block %}",
    nodes.Call: "( )",
    nodes.Getattr: ".",
    nodes.Getitem: "[ ]",
}
_TAG = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}|\{[{%#]", re.S)
_BLOCK_TAG = re.compile(r"\{%[-+]?\s*(\w+)")
_OPENS_BLOCK = frozenset({"if", "for", "macro", "call", "filter", "block", "with", "raw"})
_ENV = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False)


@dataclass(frozen=True)
class CopyError(ValueError):
    """Why a field's text is refused, and where: ``kind`` is one of required, too_long,
    syntax, unclosed_tag, unclosed_block, unknown_variable, not_allowed; ``detail`` the name,
    tag or Jinja's own words."""

    field: str
    kind: str
    line: int
    column: int
    detail: str = ""

    def __str__(self) -> str:
        return f"{self.field}: {self.kind} at line {self.line}, column {self.column} {self.detail}"


def variables_for(template: str) -> tuple[str, ...]:
    """The variables an email has: every one its name and the shop's, a cart email the total,
    an email with a code the code, its percentage and its expiry."""
    names: tuple[str, ...] = BASE_VARIABLES
    if template in SHOWS_CART:
        names += CART_VARIABLES
    if template in DISCOUNTED:
        names += DISCOUNT_VARIABLES
    return names


def normalized(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n").strip()


def check(field: str, text: str, allowed: tuple[str, ...]) -> None:
    """Refuse (``CopyError``) what would not render, or could do more than show text."""
    text = normalized(text)
    if not text:
        if field in REQUIRED_FIELDS:
            raise CopyError(field, "required", 1, 1)
        return
    if len(text) > MAX_LENGTH[field]:
        raise CopyError(field, "too_long", 1, MAX_LENGTH[field] + 1, str(MAX_LENGTH[field]))
    try:
        tree = _ENV.parse(text)
    except TemplateSyntaxError as exc:
        raise _syntax_error(field, text, exc) from None
    for node in tree.find_all(nodes.Node):
        if isinstance(node, nodes.Name) and node.name not in allowed:
            line, column = _place_of_name(text, node.lineno, node.name)
            raise CopyError(field, "unknown_variable", line, column, node.name)
        if isinstance(node, nodes.Filter) and node.name not in FILTERS:
            line, column = _place_of_name(text, node.lineno, node.name)
            raise CopyError(field, "not_allowed", line, column, f"|{node.name}")
        if not isinstance(node, _ALLOWED_NODES):
            line, column = _first_tag_on(text, node.lineno)
            what = _construct(node)
            raise CopyError(field, "not_allowed", line, column, what)
    try:  # what passed the whitelist renders; this catches what only rendering can tell
        _compiled(text).render(dict.fromkeys(allowed, "x"))
    except Exception as exc:  # the merchant gets the reason, never a 500
        raise CopyError(field, "syntax", 1, 1, str(exc)) from None


def render_copy(texts: Mapping[str, str], values: Mapping[str, str]) -> dict[str, str]:
    """The merchant's fields rendered as plain text with one recipient's values."""
    return {
        field: _compiled(normalized(text)).render(values).strip()
        for field, text in texts.items()
        if field in EDITABLE_FIELDS
    }


def values_from(data: Mapping[str, Any], locale: str) -> dict[str, str]:
    """The variables' values from a prepared render context (every one present, empty when
    this email has none of it, so stored text never fails on a missing value)."""
    discount = data.get("discount") or {}
    expires = discount.get("expires_at")
    if isinstance(expires, str):
        expires = datetime.fromisoformat(expires)
    timezone = str(data.get("timezone") or "UTC")
    return {
        "first_name": str(data["customer"].get("first_name") or ""),
        "shop_name": str(data["shop"]["name"]),
        "cart_total": str(data.get("total_price") or ""),
        "discount_code": str(discount.get("code") or ""),
        "discount_percent": str(discount.get("percentage") or ""),
        "discount_expiry": i18n.format_when(expires, locale, timezone) if expires else "",
    }


@lru_cache(maxsize=512)
def _compiled(text: str) -> Template:
    return _ENV.from_string(text)


def _place(text: str, offset: int) -> tuple[int, int]:
    """(line, column), both from 1, of a character offset."""
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def _line_start(text: str, line: int) -> int:
    offset = 0
    for _ in range(line - 1):
        offset = text.find("\n", offset) + 1
    return offset


def _first_tag_on(text: str, line: int) -> tuple[int, int]:
    start = _line_start(text, line)
    for match in _TAG.finditer(text, start):
        return _place(text, match.start())
    return line, 1


def _place_of_name(text: str, line: int, name: str) -> tuple[int, int]:
    """Where ``name`` stands inside a tag, from its line on."""
    word = re.compile(rf"\b{re.escape(name)}\b")
    for tag in _TAG.finditer(text, _line_start(text, line)):
        found = word.search(tag.group())
        if found:
            return _place(text, tag.start() + found.start())
    return _first_tag_on(text, line)


def _construct(node: nodes.Node) -> str:
    if isinstance(node, nodes.BinExpr | nodes.UnaryExpr):
        return "+ - * / %"
    return _CONSTRUCTS.get(type(node), type(node).__name__)


def _at_end(exc: TemplateSyntaxError) -> bool:
    return "end of template" in (exc.message or "").lower()


def _syntax_error(field: str, text: str, exc: TemplateSyntaxError) -> CopyError:
    """Jinja says the line; the column comes from parsing tag by tag: the first tag after
    which the text is broken (not merely unfinished) is the place."""
    for tag in _TAG.finditer(text):
        if len(tag.group()) == 2:
            return CopyError(field, "unclosed_tag", *_place(text, tag.start()), tag.group())
        try:
            _ENV.parse(text[: tag.end()])
        except TemplateSyntaxError as partial:
            if not _at_end(partial):
                detail = partial.message or ""
                return CopyError(field, "syntax", *_place(text, tag.start()), detail)
    opened: list[tuple[int, str]] = []
    for block in _BLOCK_TAG.finditer(text):
        name = block.group(1)
        if name.startswith("end") and opened:
            opened.pop()
        elif name in _OPENS_BLOCK:
            opened.append((block.start(), name))
    if opened:
        offset, name = opened[-1]
        return CopyError(field, "unclosed_block", *_place(text, offset), name)
    return CopyError(field, "syntax", exc.lineno or 1, 1, exc.message or "")
