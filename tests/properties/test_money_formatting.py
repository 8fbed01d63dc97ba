"""Property: money as a customer reads it, for every currency and language a site can name.

``format_money`` never raises, shows the amount's digits (rounded to the currency's own digits,
as Babel rounds), and Babel parses the number back to the amount it shows."""

from __future__ import annotations

import re
import unicodedata
from decimal import ROUND_HALF_EVEN, Decimal

from babel import Locale
from babel.numbers import (
    NumberFormatError,
    get_currency_precision,
    get_currency_symbol,
    list_currencies,
    parse_decimal,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from tessera.loyalty.money import _locale, format_money
from tessera.web.i18n import LANGUAGES

# A site names any three-letter code (known to ISO 4217 or not) and any language tag; unknown
# languages fall back to English.
CURRENCIES = st.one_of(
    st.sampled_from(sorted(list_currencies())),
    st.text("abcdefghijklmnopqrstuvwxyz", min_size=3, max_size=3),
)
KNOWN_LOCALES = sorted(
    {str(Locale.parse(tag)) for tag in ("en", "de", "fr", "ja", "ar", "hi", "fa", "de_CH", "pt_BR")}
)
LANGUAGE_TAGS = st.one_of(
    st.sampled_from([*LANGUAGES, *KNOWN_LOCALES, "de-CH", "pt-BR", "zh-Hant-TW"]),
    st.text(max_size=12),
)
CENTS = st.integers(min_value=0, max_value=10**11)


def shown_amount(cents: int, currency: str) -> Decimal:
    """The amount as shown: whole amounts as they are, others at the currency's digits."""
    amount = Decimal(cents) / 100
    if amount == amount.to_integral_value():
        return amount.quantize(Decimal(1))
    return amount.quantize(
        Decimal(1).scaleb(-get_currency_precision(currency.upper())), ROUND_HALF_EVEN
    )


def digits(text: str) -> str:
    return "".join(str(unicodedata.decimal(c)) for c in text if c.isdecimal())


@settings(max_examples=400, derandomize=True, deadline=None, database=None)
@given(cents=CENTS, currency=CURRENCIES, language=LANGUAGE_TAGS)
def test_money_formats_for_every_currency_and_language(
    cents: int, currency: str, language: str
) -> None:
    formatted = format_money(cents / 100, currency, language)
    shown = shown_amount(cents, currency)
    assert digits(str(shown)).lstrip("0") in digits(formatted).lstrip("0")
    locale = _locale(language)
    number = formatted
    for symbol in (get_currency_symbol(currency.upper(), locale), currency.upper()):
        number = number.replace(symbol, "")
    number = re.sub(r"[\s\u200e\u200f\u061c]", "", number)
    try:
        parsed = parse_decimal(number, locale=locale)
    except NumberFormatError:
        return  # Babel cannot read this one back; the digits above still had to be there
    assert parsed == shown, f"{formatted!r} reads back as {parsed}, not {shown}"


def test_every_iso_currency_formats_in_every_page_language() -> None:
    for currency in sorted(list_currencies()):
        for language in LANGUAGES:
            for cents in (123456, 123450, 5):
                formatted = format_money(cents / 100, currency, language)
                assert digits(str(shown_amount(cents, currency))).lstrip("0") in digits(formatted)
