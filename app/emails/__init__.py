"""Emails a shopper is glad to get: MJML + Jinja2 templates, localised, with a plain-text part.

``render_email(template, context, locale)`` is the one entry point flows use; senders live in
``app.emails.senders``, tracking links and unsubscribe in ``app.emails.tracking``.
"""

from app.emails.i18n import LOCALES, resolve_locale
from app.emails.rendering import (
    TEMPLATES,
    EmailContent,
    TemplateContextError,
    render_email,
    render_sms,
)

__all__ = [
    "LOCALES",
    "TEMPLATES",
    "EmailContent",
    "TemplateContextError",
    "render_email",
    "render_sms",
    "resolve_locale",
]
