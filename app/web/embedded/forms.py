"""Forms of the merchant page, built from declared settings (each flow's, the couriers').

The form only checks the shape (a whole number, a tick box, a choice); bounds and cross-setting
rules stay with the declaration, which the saving function applies before anything is stored.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_wtf import FlaskForm
from wtforms import BooleanField, Field, Form, FormField, IntegerField, SelectField, StringField
from wtforms.validators import InputRequired, Length, Regexp

from app.flows.engine.definition import TEXT_MAX, Flow, Setting

_EMAIL = r"^[^@\s\x00-\x1f\x7f]+@[^@\s\x00-\x1f\x7f]+\.[^@\s\x00-\x1f\x7f]+$"


class PageForm(FlaskForm):
    """A form of the merchant page. No CSRF token: Flask-WTF keeps it in the session cookie,
    which the page has none of. Forgery is stopped instead by the token every post must carry
    in its ``Authorization`` header (see ``session``), which no cross-site form can add."""

    class Meta:
        csrf = False


def _label(key: str) -> str:
    return key.replace("_", " ").capitalize()


def _field(setting: Setting) -> Field:
    label, help = _label(setting.key), setting.help
    if isinstance(setting.default, bool):
        return BooleanField(label, description=help)
    if isinstance(setting.default, dict):
        parts = {part: StringField(_label(part)) for part in setting.parts}
        return FormField(
            type(f"{setting.key.title()}Parts", (Form,), parts), label, description=help
        )
    if setting.choices:
        return SelectField(label, choices=list(setting.choices), description=help)
    if isinstance(setting.default, str):
        return StringField(label, description=help, validators=[Length(max=TEXT_MAX)])
    return IntegerField(label, description=help, validators=[InputRequired()])


def declared_form(
    key: str,
    settings: tuple[Setting, ...],
    values: Mapping[str, Any],
    enabled: bool,
    formdata: Any = None,
) -> FlaskForm:
    """A form for one group of declared settings; ``prefix`` keeps groups apart on one page."""
    fields: dict[str, Any] = {"enabled": BooleanField("On")}
    fields.update({setting.key: _field(setting) for setting in settings})
    form_class = type(f"{key.title()}SettingsForm", (PageForm,), fields)
    data = {**values, "enabled": enabled}
    if formdata is None:
        return form_class(formdata=None, data=data, prefix=key)
    return form_class(formdata=formdata, prefix=key)


def settings_form(
    flow: Flow, values: Mapping[str, Any], enabled: bool, formdata: Any = None
) -> FlaskForm:
    return declared_form(flow.key, flow.settings, values, enabled, formdata)


def declared_values(settings: tuple[Setting, ...], form: FlaskForm) -> dict[str, Any]:
    return {setting.key: _value(setting, form[setting.key].data) for setting in settings}


def _value(setting: Setting, data: Any) -> Any:
    # A text box left out of the post reads as None: for a declared text that is "" (unset).
    if isinstance(setting.default, dict):
        return {part: text for part, text in data.items() if text}
    if isinstance(setting.default, str):
        return data or ""
    return data


def setting_values(flow: Flow, form: FlaskForm) -> dict[str, Any]:
    return declared_values(flow.settings, form)


class TestSendForm(PageForm):
    to = StringField(
        "Send a test to",
        validators=[InputRequired(), Length(max=320), Regexp(_EMAIL, message="not an email")],
    )
