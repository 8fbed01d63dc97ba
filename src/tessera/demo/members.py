"""The demo program's members: a few customers with a realistic past (orders, rules completed,
rewards claimed, tiers entered), made through the same services the API uses."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from tessera.customers.service import get_or_create_customer, update_customer
from tessera.kit.clock import utcnow
from tessera.loyalty import members, rewards, rules
from tessera.loyalty.orders import record_purchase
from tessera.loyalty.program import load_program
from tessera.programs.sites import Site
from tessera.store.tables import customers


@dataclass(frozen=True)
class DemoMember:
    merchant_id: str
    email: str
    first_name: str
    last_name: str
    joined_days_ago: int
    orders: tuple[float, ...] = ()
    rules: tuple[int, ...] = ()
    rewards: tuple[int, ...] = ()
    state: str = "enrolled"
    birthday: tuple[int, int, int] | None = None


MEMBERS = (
    DemoMember(
        "1001",
        "alice@demo.tessera.example",
        "Alice",
        "Kyako",
        320,
        orders=(120.0, 85.5, 240.0, 64.9, 310.0, 45.0),
        rules=(7, 8, 10, 11),
        rewards=(1, 3),
        birthday=(6, 22, 1990),
    ),
    DemoMember(
        "1002",
        "ben@demo.tessera.example",
        "Ben",
        "Okafor",
        120,
        orders=(60.0, 35.0, 99.0),
        rules=(8,),
        rewards=(3,),
    ),
    DemoMember(
        "1003", "chloe@demo.tessera.example", "Chloé", "Martin", 40, orders=(28.0,), rules=(13,)
    ),
    DemoMember("1004", "dana@demo.tessera.example", "Dana", "Berg", 5, state="guest"),
    DemoMember("1005", "eric@demo.tessera.example", "Eric", "Lind", 200, state="blocked"),
)


async def seed_demo_members(conn: AsyncConnection, site: Site) -> None:
    """Once per program: does nothing when the program already has customers."""
    existing = await conn.scalar(
        sa.select(sa.func.count()).where(customers.c.program_id == site.program_id)
    )
    if existing:
        return
    program = await load_program(conn, site)
    now = utcnow()
    currency = site.default_currency
    for spec in MEMBERS:
        joined = now - timedelta(days=spec.joined_days_ago)
        customer, _ = await get_or_create_customer(
            conn,
            program_id=program.id,
            site_id=site.id,
            merchant_id=spec.merchant_id,
            email=spec.email,
            state="guest",
            first_name=spec.first_name,
            last_name=spec.last_name,
        )
        if spec.state == "guest":
            continue
        customer, _ = await members.enrol(
            conn, program, customer, channel="web", currency=currency, now=joined
        )
        step = timedelta(days=max(spec.joined_days_ago, 1) / (len(spec.orders) + 2))
        moment = joined
        for total in spec.orders:
            moment += step
            await record_purchase(
                conn, program, customer, total=total, currency=currency, channel="web", now=moment
            )
        for rule_id in spec.rules:
            rule = program.rule(rule_id)
            if rule is not None:
                await rules.trigger_rules(
                    conn, program, customer, [rule], channel="web", currency=currency, now=moment
                )
        for reward_id in spec.rewards:
            reward = program.reward(reward_id)
            if reward is not None:
                await rewards.redeem(
                    conn,
                    program,
                    customer,
                    reward,
                    channel="web",
                    currency=currency,
                    language=site.default_language,
                    country=None,
                    now=now - timedelta(days=2),
                )
        if spec.birthday is not None:
            month, day, year = spec.birthday
            await members.set_birthday(
                conn, program, spec.merchant_id, month=month, day=day, year=year, now=now
            )
        if spec.state == "blocked":
            await update_customer(conn, customer, state="blocked")
