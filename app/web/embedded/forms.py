"""Forms of the merchant page, built from each flow's declared settings.

The form only checks the shape (a whole number, a tick box); bounds and cross-setting rules
stay with the flow's declaration, which ``save_settings`` applies before anything is stored.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_wtf import FlaskForm
from wtforms import BooleanField, Field, IntegerField, StringField
from wtforms.validators import InputRequired, Length, Regexp

from app.flows.engine.definition import Flow, Setting

_EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


def _field(setting: Setting) -> Field:
    label = setting.key.replace("_", " ").capitalize()
    if isinstance(setting.default, bool):
        return BooleanField(label, description=setting.help)
    return IntegerField(label, description=setting.help, validators=[InputRequired()])


def settings_form(
    flow: Flow, values: Mapping[str, Any], enabled: bool, formdata: Any = None
) -> FlaskForm:
    """A form for one flow; ``prefix`` keeps several flows' fields apart on one page."""
    fields: dict[str, Any] = {"enabled": BooleanField("On")}
    fields.update({setting.key: _field(setting) for setting in flow.settings})
    form_class = type(f"{flow.key.title()}SettingsForm", (FlaskForm,), fields)
    data = {**values, "enabled": enabled}
    if formdata is None:
        return form_class(formdata=None, data=data, prefix=flow.key)
    return form_class(formdata=formdata, prefix=flow.key)


def setting_values(flow: Flow, form: FlaskForm) -> dict[str, Any]:
    return {setting.key: form[setting.key].data for setting in flow.settings}


class TestSendForm(FlaskForm):
    to = StringField(
        "Send a test to",
        validators=[InputRequired(), Length(max=320), Regexp(_EMAIL, message="not an email")],
    )
