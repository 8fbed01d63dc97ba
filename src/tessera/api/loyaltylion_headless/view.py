"""Who a Headless response is for, and its amounts in that view's currency and language."""

from __future__ import annotations

from dataclasses import dataclass

from tessera.loyalty.money import CurrencyAmount, money
from tessera.programs.configuration import Money, money_in


@dataclass(frozen=True, slots=True)
class View:
    """Who a response is for: the request's channel, language, currency and country."""

    channel: str
    language: str
    currency: str
    country: str | None

    def money(self, value: Money | None) -> CurrencyAmount | None:
        amount = money_in(value, self.currency)
        return None if amount is None else money(amount, self.currency, self.language)

    def amount(self, value: float | None) -> CurrencyAmount | None:
        return None if value is None else money(value, self.currency, self.language)
