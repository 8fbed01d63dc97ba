"""Money and numbers as a customer reads them, formatted by Babel for a currency and language.

Whole amounts drop their decimals (``$5``, ``5 €``), as LoyaltyLion's own texts do; others keep
the currency's digits (``$99.99``, ``99,99 €``).
"""

from __future__ import annotations

from functools import lru_cache

import msgspec
from babel import Locale, UnknownLocaleError
from babel.numbers import format_currency, format_decimal, format_percent


@lru_cache(maxsize=64)
def _locale(language: str) -> Locale:
    try:
        return Locale.parse(language.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        return Locale.parse("en")


@lru_cache(maxsize=64)
def _whole_pattern(language: str) -> str:
    pattern: str = _locale(language).currency_formats["standard"].pattern
    # "#,##0.00 ¤" -> "#,##0 ¤"; only the first sub-pattern (positive amounts) matters here.
    return pattern.split(";", 1)[0].replace(".00", "")


@lru_cache(maxsize=4096)
def format_money(amount: float, currency: str, language: str) -> str:
    locale = _locale(language)
    code = currency.upper()
    if float(amount).is_integer():
        return format_currency(
            amount, code, format=_whole_pattern(language), locale=locale, currency_digits=False
        )
    return format_currency(amount, code, locale=locale)


class CurrencyAmount(msgspec.Struct):
    """The Headless contract's CurrencyAmount: ``{"amount": 5, "formatted": "$5"}``."""

    amount: float | int
    formatted: str


class PercentageAmount(msgspec.Struct):
    """The Headless contract's PercentageAmount: ``{"percentage": 10, "formatted": "10%"}``."""

    percentage: float | int
    formatted: str


def money(amount: float, currency: str, language: str) -> CurrencyAmount:
    value = round(float(amount), 2)
    shown: float | int = int(value) if value.is_integer() else value
    return CurrencyAmount(amount=shown, formatted=format_money(value, currency, language))


def percentage(value: float, language: str) -> PercentageAmount:
    shown: float | int = int(value) if float(value).is_integer() else value
    return PercentageAmount(percentage=shown, formatted=_percent(value, language))


@lru_cache(maxsize=1024)
def _percent(value: float, language: str) -> str:
    return format_percent(value / 100, locale=_locale(language), decimal_quantization=False)


@lru_cache(maxsize=4096)
def number(value: int, language: str) -> str:
    return format_decimal(value, locale=_locale(language))
