"""Where a member's referral link points: the program's referral base (or the site) with
``ll_ref_id=<the member's code>``; none when the program runs no referrals."""

from __future__ import annotations

from tessera.customers.service import Customer
from tessera.loyalty.program import LoyaltyProgram


def runs_referrals(program: LoyaltyProgram) -> bool:
    return any(rule.kind == "referral" and rule.enabled for rule in program.document.rules)


def direct_referral_url(program: LoyaltyProgram, customer: Customer) -> str | None:
    if customer.referral_code is None or not runs_referrals(program):
        return None
    base = program.document.referral_url_base or program.site.url
    return f"{base}{'&' if '?' in base else '?'}ll_ref_id={customer.referral_code}"
