"""Per-shop choice by evidence: serve learned pairs only where the shop's own orders say so.

The nightly refresh runs the backtest (``recs_eval``) for each email and serves co-purchase
pairs when, on at least ``MIN_CASES`` test customers, the 95 % interval of their paired
advantage over bestsellers lies above zero; otherwise bestsellers, and the merchant page says
which and why in plain words (``evidence_sentence``).

The views-aware pairs (co-purchase plus what the customer looked at, through view -> purchase
pairs) are served only when they win by the same rule twice over, on the same test customers:
their advantage over the order-only pairs and over bestsellers both have 95 % intervals above
zero. Views that carry no signal leave them tied with the order-only pairs: not served.
"""

from __future__ import annotations

from datetime import datetime

from babel.numbers import format_decimal

from app.insights.recs_eval import Backtest
from app.models import Shop
from app.models.shop_settings import RecommendationEvidence, ShopSettingsError

MIN_CASES = 100
CO_PURCHASE, VIEWS_AWARE, BESTSELLERS = "co_purchase", "views_aware", "bestsellers"


def serves(result: Backtest) -> str:
    """The method this backtest supports serving."""
    if result.cases < MIN_CASES:
        return BESTSELLERS
    if (
        VIEWS_AWARE in result.results
        and result.versus(VIEWS_AWARE, CO_PURCHASE).low > 0
        and result.versus(VIEWS_AWARE).low > 0
    ):
        return VIEWS_AWARE
    return CO_PURCHASE if result.versus(CO_PURCHASE).low > 0 else BESTSELLERS


def decide(cross_sell: Backtest, win_back: Backtest, now: datetime) -> RecommendationEvidence:
    """What to store for the shop: the cross-sell evidence the page shows, both choices."""
    model = cross_sell.results[CO_PURCHASE]
    base = cross_sell.results[BESTSELLERS]
    versus = cross_sell.versus(CO_PURCHASE) if cross_sell.cases else None
    viewing = cross_sell.results.get(VIEWS_AWARE)
    views_versus = (
        cross_sell.versus(VIEWS_AWARE, CO_PURCHASE) if cross_sell.cases and viewing else None
    )
    return RecommendationEvidence(
        method=serves(cross_sell),
        winback_method=serves(win_back),
        cases=cross_sell.cases,
        model_hit_permille=_permille(model.hit_rate),
        baseline_hit_permille=_permille(base.hit_rate),
        diff_low_permille=_permille(versus.low) if versus else 0,
        diff_high_permille=_permille(versus.high) if versus else 0,
        test_days=cross_sell.test_days,
        decided_at=now.isoformat(),
        views_hit_permille=_permille(viewing.hit_rate) if viewing else 0,
        views_diff_low_permille=_permille(views_versus.low) if views_versus else 0,
        views_diff_high_permille=_permille(views_versus.high) if views_versus else 0,
    )


def _permille(rate: float) -> int:
    return round(rate * 1000)


TEXT: dict[str, dict[str, str]] = {
    "en": {
        "heading": "Product suggestions in emails",
        "untested": "Product suggestions are your bestsellers until the nightly test of your "
        "orders has run.",
        "few": "Product suggestions are your bestsellers: your last {days} days had {cases} "
        "returning customers to test smarter picks on, and a fair test needs {needed}.",
        "no_win": "Product suggestions are your bestsellers: on your shop's last {days} days, "
        "picks learned from what customers buy together were not bought more often "
        "({model} % against {base} % of {cases} returning customers).",
        "win": "Product suggestions are learned from what your customers buy together: on your "
        "shop's last {days} days, these picks were bought {lift} % more often than "
        "bestsellers ({model} % against {base} % of {cases} returning customers).",
        "views_win": "Product suggestions are learned from what your customers buy together "
        "and what they look at before they buy: on your shop's last {days} days, these picks "
        "were bought by {views} % of {cases} returning customers, against {model} % for picks "
        "from orders alone and {base} % for bestsellers.",
    },
    "pl": {
        "heading": "Polecane produkty w e-mailach",
        "untested": "Polecane produkty to Twoje bestsellery, dopóki nocny test na Twoich "
        "zamówieniach się nie odbędzie.",
        "few": "Polecane produkty to Twoje bestsellery: w ostatnich {days} dniach było "
        "{cases} powracających klientów do sprawdzenia mądrzejszych propozycji, a rzetelny "
        "test potrzebuje {needed}.",
        "no_win": "Polecane produkty to Twoje bestsellery: w ostatnich {days} dniach Twojego "
        "sklepu propozycje wyuczone z tego, co klienci kupują razem, nie były kupowane "
        "częściej ({model} % wobec {base} % spośród {cases} powracających klientów).",
        "win": "Polecane produkty wynikają z tego, co Twoi klienci kupują razem: w ostatnich "
        "{days} dniach Twojego sklepu te propozycje były kupowane o {lift} % częściej niż "
        "bestsellery ({model} % wobec {base} % spośród {cases} powracających klientów).",
        "views_win": "Polecane produkty wynikają z tego, co Twoi klienci kupują razem, i z tego, "
        "co oglądają przed zakupem: w ostatnich {days} dniach Twojego sklepu te propozycje "
        "kupiło {views} % spośród {cases} powracających klientów, wobec {model} % dla "
        "propozycji z samych zamówień i {base} % dla bestsellerów.",
    },
    "ro": {
        "heading": "Produse recomandate în e-mailuri",
        "untested": "Produsele recomandate sunt cele mai vândute ale magazinului până la "
        "testul de noapte pe comenzile dvs.",
        "few": "Produsele recomandate sunt cele mai vândute: ultimele {days} zile au avut "
        "{cases} clienți reveniți pe care să testăm recomandări mai inteligente, iar un test "
        "corect are nevoie de {needed}.",
        "no_win": "Produsele recomandate sunt cele mai vândute: în ultimele {days} zile ale "
        "magazinului, recomandările învățate din ce cumpără clienții împreună nu au fost "
        "cumpărate mai des ({model} % față de {base} % din {cases} clienți reveniți).",
        "win": "Produsele recomandate sunt învățate din ce cumpără clienții dvs. împreună: în "
        "ultimele {days} zile ale magazinului, aceste recomandări au fost cumpărate cu {lift} % "
        "mai des decât cele mai vândute ({model} % față de {base} % din {cases} clienți "
        "reveniți).",
        "views_win": "Produsele recomandate sunt învățate din ce cumpără clienții dvs. împreună "
        "și din ce privesc înainte să cumpere: în ultimele {days} zile ale magazinului, aceste "
        "recomandări au fost cumpărate de {views} % din {cases} clienți reveniți, față de "
        "{model} % pentru recomandările doar din comenzi și {base} % pentru cele mai vândute.",
    },
}


def evidence_sentence(evidence: RecommendationEvidence, locale: str) -> str:
    """What the merchant page says about the shop's suggestions, in the merchant's language."""
    text = TEXT.get(locale, TEXT["en"])
    if evidence.decided_at is None:
        return text["untested"]
    values = {
        "days": evidence.test_days,
        "cases": evidence.cases,
        "needed": MIN_CASES,
        "model": _percent(evidence.model_hit_permille, locale),
        "base": _percent(evidence.baseline_hit_permille, locale),
        "lift": _lift(evidence),
        "views": _percent(evidence.views_hit_permille, locale),
    }
    if evidence.method == VIEWS_AWARE:
        return text["views_win"].format(**values)
    if evidence.method == CO_PURCHASE:
        return text["win"].format(**values)
    return text["few" if evidence.cases < MIN_CASES else "no_win"].format(**values)


def merchant_summary(shop: Shop, locale: str) -> dict[str, str]:
    """The merchant page's block: heading, sentence and the method served (for cross-sell)."""
    locale = locale if locale in TEXT else "en"
    try:
        evidence = shop.recommendation_evidence
    except ShopSettingsError:
        evidence = RecommendationEvidence()
    return {
        "locale": locale,
        "heading": TEXT[locale]["heading"],
        "sentence": evidence_sentence(evidence, locale),
        "serves": evidence.method,
    }


def _percent(permille: int, locale: str) -> str:
    return format_decimal(permille / 10, format="0.#", locale=locale if locale in TEXT else "en")


def _lift(evidence: RecommendationEvidence) -> int:
    base = max(evidence.baseline_hit_permille, 1)
    return round(100 * (evidence.model_hit_permille - base) / base)
