"""The shop's details every marketing email carries: its postal address and sender name.

While one is missing, marketing steps wait (``missing_for_marketing``); the merchant page says
so in the merchant's language and offers the form that fills them in.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from wtforms import StringField, TextAreaField
from wtforms.validators import Length

from app.models import AuditLog, Shop, ShopScope, missing_for_marketing
from app.models.shop_settings import LegalAddress
from app.web.embedded.forms import PageForm

TEXT: dict[str, dict[str, str]] = {
    "en": {
        "heading": "Shop details in emails",
        "waiting": "Marketing emails are waiting. None goes out until you fill in:",
        "legal_address": "the shop's postal address (the law asks for it in every marketing email)",
        "sender": "the sender name shoppers see",
        "address_label": "Postal address",
        "sender_label": "Sender name",
        "save": "Save",
        "saved": "Shop details saved",
        "switch_refused": "this flow cannot be switched on until you fill in",
        "not_saved": "Not saved",
        "discount_refused": "Your store did not keep the expiry date of a discount code we "
        "created, so emails with a code are waiting. Check the plugins or settings that change "
        "coupons in your store; we try again every hour.",
    },
    "pl": {
        "heading": "Dane sklepu w e-mailach",
        "waiting": "E-maile marketingowe czekają. Żaden nie wyjdzie, dopóki nie uzupełnisz:",
        "legal_address": "adresu pocztowego sklepu (prawo wymaga go w każdym e-mailu "
        "marketingowym)",
        "sender": "nazwy nadawcy widocznej dla klientów",
        "address_label": "Adres pocztowy",
        "sender_label": "Nazwa nadawcy",
        "save": "Zapisz",
        "saved": "Dane sklepu zapisane",
        "switch_refused": "tego procesu nie można włączyć, dopóki nie uzupełnisz",
        "not_saved": "Nie zapisano",
        "discount_refused": "Twój sklep nie zachował daty ważności utworzonego przez nas kodu "
        "rabatowego, więc e-maile z kodem czekają. Sprawdź wtyczki lub ustawienia, które "
        "zmieniają kupony w sklepie; ponawiamy próbę co godzinę.",
    },
    "ro": {
        "heading": "Datele magazinului în e-mailuri",
        "waiting": "E-mailurile de marketing așteaptă. Niciunul nu pleacă până nu completați:",
        "legal_address": "adresa poștală a magazinului (legea o cere în fiecare e-mail de "
        "marketing)",
        "sender": "numele expeditorului pe care îl văd clienții",
        "address_label": "Adresa poștală",
        "sender_label": "Numele expeditorului",
        "save": "Salvează",
        "saved": "Datele magazinului au fost salvate",
        "switch_refused": "acest flux nu poate fi pornit până nu completați",
        "not_saved": "Nu s-a salvat",
        "discount_refused": "Magazinul dvs. nu a păstrat data de expirare a unui cod de reducere "
        "creat de noi, așa că e-mailurile cu cod așteaptă. Verificați modulele sau setările care "
        "modifică cupoanele în magazin; reîncercăm în fiecare oră.",
    },
}


class ShopDetailsForm(PageForm):
    address = TextAreaField(validators=[Length(max=500)])
    sender_name = StringField(validators=[Length(max=120)])


def details_context(shop: Shop, locale: str, form: ShopDetailsForm | None = None) -> dict[str, Any]:
    """What the page shows: the missing items in words, and the form with what is stored."""
    locale = locale if locale in TEXT else "en"
    text = TEXT[locale]
    if form is None:
        data = {"address": shop.legal_address.text, "sender_name": shop.sender.name}
        form = ShopDetailsForm(formdata=None, data=data, prefix="details")
    form.address.label.text, form.sender_name.label.text = (
        text["address_label"],
        text["sender_label"],
    )
    return {
        "locale": locale,
        "text": text,
        "missing": [text[item] for item in missing_for_marketing(shop)],
        "attention": [text["discount_refused"]] if shop.attention.discount_refused_at else [],
        "form": form,
    }


def switch_refused(locale: str, missing: tuple[str, ...]) -> str:
    """Why a marketing flow stays off, in the merchant's words: what to fill in first."""
    text = TEXT[locale if locale in TEXT else "en"]
    return f"{text['switch_refused']}: {'; '.join(text[item] for item in missing)}"


def save_details(shop: Shop, form: ShopDetailsForm) -> None:
    """Store the typed values (ShopSettingsError names a refused one) and audit the change;
    the caller commits."""
    before = {"address": shop.legal_address.text, "sender_name": shop.sender.name}
    after = {"address": form.address.data.strip(), "sender_name": form.sender_name.data.strip()}
    if after["address"] != before["address"]:
        # Typed by the merchant: the store's own address no longer replaces it.
        shop.legal_address = LegalAddress(after["address"])
    shop.sender = replace(shop.sender, name=after["sender_name"])
    changed = {k: [before[k], v] for k, v in after.items() if before[k] != v}
    ShopScope(shop.id).add(AuditLog(actor="merchant", action="shop_details", details=changed))
