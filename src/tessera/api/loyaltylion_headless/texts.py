"""The few words the Headless API composes itself ("500 points", "5 points per $1"), in the
languages the demo ships; any other language falls back to English. Numbers and money are
formatted by Babel for the language."""

from __future__ import annotations

from tessera.loyalty.money import format_money, number

_POINTS = {
    "en": ("{n} point", "{n} points"),
    "de": ("{n} Punkt", "{n} Punkte"),
    "es": ("{n} punto", "{n} puntos"),
    "fr": ("{n} point", "{n} points"),
    "it": ("{n} punto", "{n} punti"),
    "nl": ("{n} punt", "{n} punten"),
    "sv": ("{n} poäng", "{n} poäng"),
}
_PER = {
    "en": "per",
    "de": "pro",
    "es": "por cada",
    "fr": "par",
    "it": "ogni",
    "nl": "per",
    "sv": "per",
}
_ENTERED_TIER = {
    "en": "Entered {tier} tier",
    "de": "Stufe {tier} erreicht",
    "es": "Has alcanzado el nivel {tier}",
    "fr": "Niveau {tier} atteint",
    "it": "Livello {tier} raggiunto",
    "nl": "Niveau {tier} bereikt",
    "sv": "Nådde nivån {tier}",
}
_POINTS_ADDED = {
    "en": "Points added",
    "de": "Punkte gutgeschrieben",
    "es": "Puntos añadidos",
    "fr": "Points ajoutés",
    "it": "Punti aggiunti",
    "nl": "Punten toegevoegd",
    "sv": "Poäng tillagda",
}


def _base(language: str) -> str:
    return language.split("-", 1)[0].lower()


def points_text(points: int, language: str) -> str:
    one, many = _POINTS.get(_base(language), _POINTS["en"])
    sign = "-" if points < 0 else ""
    template = one if abs(points) == 1 else many
    return sign + template.format(n=number(abs(points), language))


def per_currency_text(points: int, unit: float, currency: str, language: str) -> str:
    per = _PER.get(_base(language), "per")
    return f"{points_text(points, language)} {per} {format_money(unit, currency, language)}"


def entered_tier_text(tier: str, language: str) -> str:
    return _ENTERED_TIER.get(_base(language), _ENTERED_TIER["en"]).format(tier=tier)


def points_added_text(language: str) -> str:
    return _POINTS_ADDED.get(_base(language), _POINTS_ADDED["en"])
