"""The contract's TierConfiguration: a program's tiers, benefits and membership policy as one
view sees them."""

from __future__ import annotations

import html

from tessera.loyalty.money import money
from tessera.loyalty.program import LoyaltyProgram
from tessera.programs.configuration import (
    CalendarMembership,
    EnrollmentAnniversaryMembership,
    Membership,
    RollingMembership,
    localized,
    money_in,
)

from . import configuration_schemas as out
from .view import View


def tier_configuration(program: LoyaltyProgram, view: View) -> out.TierConfigurationOut | None:
    setup = program.document.tiers
    if setup is None:
        return None
    mode = setup.boundary_mode
    levels = setup.levels

    def bound(value: float) -> out.Bound:
        return money(value, view.currency, view.language) if mode == "spend" else int(value)

    tiers = []
    for index, tier in enumerate(levels):
        lower = money_in(tier.lower_bound, view.currency)
        if lower is None:
            return None  # spend tiers without bounds in this currency cannot be shown
        following = levels[index + 1] if index + 1 < len(levels) else None
        upper_next = None if following is None else money_in(following.lower_bound, view.currency)
        if following is not None and upper_next is None:
            return None
        upper = None
        if upper_next is not None:
            upper = bound(round(upper_next - (0.01 if mode == "spend" else 1), 2))
        tiers.append(
            out.TierOut(
                id=tier.id,
                name=localized(tier.name, view.language),
                position=index + 1,
                hidden=tier.hidden,
                benefit_ids=list(tier.benefit_ids),
                kind=mode,
                lower_bound=bound(lower),
                upper_bound=upper,
            )
        )
    benefits = []
    for benefit in setup.benefits:
        details = None
        if benefit.details:
            text = localized(benefit.details, view.language)
            paragraphs = "".join(
                f"<p>{html.escape(part.strip())}</p>" for part in text.split("\n\n") if part.strip()
            )
            details = out.BenefitDetails(plaintext=text, html=paragraphs)
        benefits.append(
            out.BenefitOut(
                id=benefit.id,
                label=localized(benefit.label, view.language),
                secret=benefit.secret,
                details=details,
            )
        )
    return out.TierConfigurationOut(
        boundary_mode=mode,
        tiers=tiers,
        tier_benefits=benefits,
        membership=membership_policy(setup.membership),
    )


def membership_policy(membership: Membership) -> out.MembershipPolicy:
    if isinstance(membership, RollingMembership):
        return out.RollingPolicy(duration_months=membership.duration_months)
    if isinstance(membership, CalendarMembership):
        return out.CalendarPolicy(
            evaluation_period=out.EvaluationPeriod(
                starts_on=out.MonthDay(
                    month=membership.starts_on_month, day=membership.starts_on_day
                ),
                duration=out.Months(months=membership.evaluation_months),
            ),
            duration=out.Windows(windows=membership.windows),
        )
    if isinstance(membership, EnrollmentAnniversaryMembership):
        return out.AnniversaryPolicy(duration=out.Windows(windows=membership.windows))
    return out.LifetimePolicy()
