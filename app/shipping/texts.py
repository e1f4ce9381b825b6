"""What shipping says to people, in pl, ro and en: the merchant page's Labels tab (why an AWB
was not asked for, what happened to a parcel) and the customer's tracking page.

Plain tables like the merchant page's shop details: these are short, fixed sentences, and a
missing key fails the test that walks every locale.
"""

from __future__ import annotations

from app.connectors.couriers.base import AddressMismatch

LOCALES = ("en", "pl", "ro")

STATUS_NAMES: dict[str, dict[str, str]] = {
    "en": {
        "created": "Label created",
        "picked_up": "Picked up by the courier",
        "in_transit": "In transit",
        "out_for_delivery": "Out for delivery",
        "ready_for_pickup": "Waiting at the pickup point",
        "delivered": "Delivered",
        "returned": "Returned to the shop",
        "cancelled": "Cancelled",
        "exception": "Delivery problem",
        "unknown": "No news from the courier yet",
    },
    "pl": {
        "created": "Etykieta utworzona",
        "picked_up": "Odebrana przez kuriera",
        "in_transit": "W drodze",
        "out_for_delivery": "Wydana do doręczenia",
        "ready_for_pickup": "Czeka w punkcie odbioru",
        "delivered": "Doręczona",
        "returned": "Zwrócona do sklepu",
        "cancelled": "Anulowana",
        "exception": "Problem z doręczeniem",
        "unknown": "Brak wieści od kuriera",
    },
    "ro": {
        "created": "Etichetă creată",
        "picked_up": "Preluat de curier",
        "in_transit": "În tranzit",
        "out_for_delivery": "În livrare",
        "ready_for_pickup": "Așteaptă la punctul de ridicare",
        "delivered": "Livrat",
        "returned": "Returnat magazinului",
        "cancelled": "Anulat",
        "exception": "Problemă la livrare",
        "unknown": "Încă nicio veste de la curier",
    },
}

PAGE: dict[str, dict[str, str]] = {
    "en": {
        "parcel": "Parcel",
        "status": "Status",
        "history": "History",
        "carrier": "Carrier",
        "no_history": "No scans yet.",
        "attention": "Needs your attention",
    },
    "pl": {
        "parcel": "Przesyłka",
        "status": "Status",
        "history": "Historia",
        "carrier": "Przewoźnik",
        "no_history": "Brak skanów.",
        "attention": "Wymaga Twojej uwagi",
    },
    "ro": {
        "parcel": "Colet",
        "status": "Stare",
        "history": "Istoric",
        "carrier": "Curier",
        "no_history": "Încă nicio scanare.",
        "attention": "Necesită atenția dvs.",
    },
}

LABELS: dict[str, dict[str, str]] = {
    "en": {
        "title": "Labels",
        "print_all": "Print all paid orders:",
        "a6": "A6 pages",
        "a4x4": "4 \u00d7 A6 on A4",
        "start_slot": "start at slot",
        "print": "Print",
        "order": "Order",
        "courier": "Courier",
        "label_status": "Label",
        "tracking": "Tracking number",
        "where": "Where it is",
        "file": "File",
        "none": "No shipments yet.",
    },
    "pl": {
        "title": "Etykiety",
        "print_all": "Wydrukuj wszystkie opłacone zamówienia:",
        "a6": "Strony A6",
        "a4x4": "4 \u00d7 A6 na A4",
        "start_slot": "zacznij od miejsca",
        "print": "Drukuj",
        "order": "Zamówienie",
        "courier": "Kurier",
        "label_status": "Etykieta",
        "tracking": "Numer przesyłki",
        "where": "Gdzie jest",
        "file": "Plik",
        "none": "Nie ma jeszcze przesyłek.",
    },
    "ro": {
        "title": "Etichete",
        "print_all": "Tipăriți toate comenzile plătite:",
        "a6": "Pagini A6",
        "a4x4": "4 \u00d7 A6 pe A4",
        "start_slot": "începeți de la poziția",
        "print": "Tipărește",
        "order": "Comandă",
        "courier": "Curier",
        "label_status": "Etichetă",
        "tracking": "Număr AWB",
        "where": "Unde este",
        "file": "Fișier",
        "none": "Încă nu există expedieri.",
    },
}

# A shipment's own states (app/shipping/shipments.py), as the label page names them.
LABEL_STATES: dict[str, dict[str, str]] = {
    "en": {
        "pending": "waiting",
        "requested": "asking the courier",
        "created": "ready",
        "failed": "failed",
        "unknown": "no answer from the courier",
        "needs_check": "check at the courier",
        "cancelled": "cancelled",
    },
    "pl": {
        "pending": "czeka",
        "requested": "pytamy kuriera",
        "created": "gotowa",
        "failed": "błąd",
        "unknown": "brak odpowiedzi kuriera",
        "needs_check": "sprawdź u kuriera",
        "cancelled": "anulowana",
    },
    "ro": {
        "pending": "în așteptare",
        "requested": "întrebăm curierul",
        "created": "gata",
        "failed": "eșuat",
        "unknown": "niciun răspuns de la curier",
        "needs_check": "verificați la curier",
        "cancelled": "anulată",
    },
}

PICKUP: dict[str, dict[str, str]] = {
    "en": {
        "button": "Order a courier pickup for today's parcels",
        "queued": "Pickup order sent to the courier; the answer appears here.",
        "ordered": "Courier pickup ordered for today ({parcels} parcels).",
        "nothing_to_collect": "No parcels printed today: no pickup was ordered.",
        "refused": "The courier refused the pickup order: {answer}",
        "not_offered": "This courier takes no pickup orders from us.",
    },
    "pl": {
        "button": "Zamów odbiór dzisiejszych paczek przez kuriera",
        "queued": "Zamówienie odbioru wysłane do kuriera; odpowiedź pojawi się tutaj.",
        "ordered": "Zamówiono odbiór przez kuriera na dziś (paczek: {parcels}).",
        "nothing_to_collect": "Dziś nie wydrukowano paczek: odbiór nie został zamówiony.",
        "refused": "Kurier odrzucił zamówienie odbioru: {answer}",
        "not_offered": "Ten kurier nie przyjmuje od nas zamówień odbioru.",
    },
    "ro": {
        "button": "Comandați ridicarea coletelor de azi de către curier",
        "queued": "Comanda de ridicare a fost trimisă curierului; răspunsul apare aici.",
        "ordered": "Ridicare comandată pentru azi ({parcels} colete).",
        "nothing_to_collect": "Niciun colet tipărit azi: nu s-a comandat ridicarea.",
        "refused": "Curierul a refuzat comanda de ridicare: {answer}",
        "not_offered": "Acest curier nu primește de la noi comenzi de ridicare.",
    },
}

ADDRESS_MISMATCH: dict[str, dict[str, str]] = {
    "en": {
        "county": "{courier} does not know the county “{county}”. Correct the order's shipping "
        "address (county, as {courier} spells it) and create the label again.",
        "locality": "{courier} does not know the locality “{locality}” in county “{county}”. "
        "Correct the order's shipping address (locality and county, as {courier} spells them) "
        "and create the label again.",
    },
    "pl": {
        "county": "{courier} nie zna okręgu „{county}”. Popraw adres dostawy zamówienia "
        "(okręg tak, jak zapisuje go {courier}) i utwórz etykietę ponownie.",
        "locality": "{courier} nie zna miejscowości „{locality}” w okręgu „{county}”. Popraw "
        "adres dostawy zamówienia (miejscowość i okręg tak, jak zapisuje je {courier}) i utwórz "
        "etykietę ponownie.",
    },
    "ro": {
        "county": "{courier} nu cunoaște județul „{county}”. Corectați adresa de livrare a "
        "comenzii (județul, așa cum îl scrie {courier}) și creați din nou eticheta.",
        "locality": "{courier} nu cunoaște localitatea „{locality}” din județul „{county}”. "
        "Corectați adresa de livrare a comenzii (localitatea și județul, așa cum le scrie "
        "{courier}) și creați din nou eticheta.",
    },
}


def locale_of(*candidates: str | None) -> str:
    """The first candidate we have words for (``ro_RO`` and ``ro-RO`` count as ``ro``)."""
    for candidate in candidates:
        language = (candidate or "").replace("-", "_").split("_", 1)[0].strip().lower()
        if language in LOCALES:
            return language
    return "en"


def address_mismatch(error: AddressMismatch, courier_name: str, locale: str) -> str:
    """The merchant's sentence for an address the courier's locality list does not have."""
    kind = "locality" if error.county_known else "county"
    return ADDRESS_MISMATCH[locale_of(locale)][kind].format(
        courier=courier_name, county=error.county, locality=error.locality
    )


def status_name(status: str | None, locale: str) -> str:
    names = STATUS_NAMES[locale_of(locale)]
    return names.get(status or "created", names["unknown"])


def pickup_outcome(details: dict[str, object], locale: str) -> str:
    """The merchant's sentence for the day's pickup order (``AuditLog`` details)."""
    words = PICKUP[locale_of(locale)]
    outcome = str(details.get("outcome") or "queued")
    return words.get(outcome, words["queued"]).format(
        parcels=details.get("parcels", ""), answer=details.get("answer", "")
    )
