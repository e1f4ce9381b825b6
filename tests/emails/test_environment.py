"""EmailEnvironment's shortcuts give Jinja's own answers where they could differ: keys named
like dict methods, missing keys, values that are already markup, functions that ask for the
context, and a template that binds ``_`` itself."""

from __future__ import annotations

from typing import Any

import pytest
from jinja2 import Environment, StrictUndefined, UndefinedError, pass_context
from jinja2.runtime import Context
from markupsafe import Markup

from app.emails.environment import EmailEnvironment
from app.emails.i18n import translations

OPTIONS: dict[str, Any] = {"autoescape": True, "extensions": ["jinja2.ext.i18n"]}


def _both(locale: str = "pl", **options: Any) -> tuple[Environment, Environment]:
    stock = Environment(**OPTIONS, **options)
    stock.install_gettext_translations(translations(locale), newstyle=False)  # type: ignore[attr-defined]
    return EmailEnvironment(translations(locale), **OPTIONS, **options), stock


@pass_context
def _variable_names(context: Context, prefix: str) -> str:
    return prefix + ",".join(sorted(k for k in context.get_all() if k.startswith("v")))


class _Titled(dict[str, Any]):
    title = "the attribute, not the key"


class _Html:
    def __html__(self) -> str:
        return "<i>already html</i>"


CASES = [
    # A key named like a dict method gives the method, as in Jinja (its repr differs by id).
    (
        "{{ d.items is callable }} {{ d.title }} {{ d['items'] }}",
        {"d": {"items": [1], "title": "<x>"}},
    ),
    ("{{ _('Total') }}: {{ total }}", {"total": "1 & 2"}),
    ("{% trans name=n %}Hi {{ name }}, still thinking it over?{% endtrans %}", {"n": "<Ola>"}),
    ("{{ m }} {{ h }} {{ 5 }} {{ 2.5 }} {{ none }}", {"m": Markup("<b>ok</b>"), "h": _Html()}),
    ("{{ f('vars: ') }}", {"f": _variable_names, "v1": 1, "v2": 2}),
    ("{{ s.upper() }} {{ l.append }}", {"s": "<a>", "l": []}),
    # An attribute wins over a key on anything but a plain dict, as in Jinja.
    ("{{ t.title }} {{ t['title'] }} {{ (t).title }}", {"t": _Titled(title="<key>")}),
    ("{% macro shout(x) %}{{ x|upper }}{% endmacro %}{% set _ = shout %}{{ _('Total') }}", {}),
    ("{% for gettext in [shout] %}{{ gettext('Total') }}{% endfor %}", {"shout": str.upper}),
    ("{% set t %}{{ _('Quantity') }} <{{ n }}>{% endset %}{{ t }}|{{ t|length }}", {"n": "&"}),
    # A sentence with a percent sign, a value used twice, markup and a number as values.
    (
        "{% trans p=p, m=m %}{{ p }}% off, {{ p }}% again: {{ m }}{% endtrans %}",
        {"p": 5, "m": Markup("<b>x</b>")},
    ),
    ("{% trans a=a %}100%% of {{ a }}{% endtrans %}", {"a": "<&>"}),
]


@pytest.mark.parametrize(("source", "values"), CASES)
def test_templates_render_as_jinjas_own_environment_renders_them(
    source: str, values: dict[str, Any]
) -> None:
    ours, stock = _both()

    rendered = ours.from_string(source).render(values)

    assert rendered == stock.from_string(source).render(values)
    assert rendered.strip()


def test_translations_are_constants_in_the_compiled_template() -> None:
    ours, stock = _both("pl")
    source = "{{ _('Total') }}"

    assert "context.call" not in ours.compile(source, raw=True)
    assert "'Razem'" in ours.compile(source, raw=True)
    assert "context.call" in stock.compile(source, raw=True)
    assert ours.from_string(source).render() == "Razem"


def test_a_missing_key_is_the_same_error() -> None:
    ours, stock = _both(undefined=StrictUndefined)
    source = "{{ d.missing }}"

    with pytest.raises(UndefinedError) as raised_ours:
        ours.from_string(source).render(d={"there": 1})
    with pytest.raises(UndefinedError) as raised_stock:
        stock.from_string(source).render(d={"there": 1})

    assert (
        str(raised_ours.value)
        == str(raised_stock.value)
        == "'dict object' has no attribute 'missing'"
    )


def test_a_value_the_sentence_leaves_out_is_not_read() -> None:
    """A translation may drop a placeholder: its value is never printed, so even an
    undefined one is no error (strict undefined raises only when printed)."""
    ours, stock = _both(undefined=StrictUndefined)
    source = "{% trans a=a, b=missing %}Only {{ a }}{% endtrans %}"

    rendered = ours.from_string(source).render(a="<x>")

    assert rendered == stock.from_string(source).render(a="<x>") == "Only &lt;x&gt;"
