"""Plain async factories: build programs, sites, keys and customers through the real services."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine

from tessera.auth.keys import create_key
from tessera.auth.scopes import SCOPES
from tessera.config import Settings, normalize_database_url
from tessera.customers.service import Customer, get_or_create_customer
from tessera.loyalty.ledger import record
from tessera.programs.configuration import apply_document, parse_document
from tessera.programs.sites import Site, create_program, create_site
from tessera.sealing import server_key


@dataclass(frozen=True)
class Tenant:
    program_id: int
    site: Site
    api_key: str
    site_token: str
    site_secret: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"}


SMALL_PROGRAM = {
    "rules": [
        {
            "id": 1,
            "kind": "join_program",
            "points": 100,
            "title": {"en": "Join", "de": "Beitreten"},
        },
        {
            "id": 2,
            "kind": "purchase",
            "points": 5,
            "per_currency_unit": 1,
            "title": {"en": "Make a purchase", "de": "Einkaufen"},
        },
    ],
    "rewards": [
        {
            "id": 1,
            "kind": "cart_discount_voucher",
            "points": 500,
            "discount": 5,
            "title": {"en": "$5 voucher", "de": "5-$-Gutschein"},
        },
        {
            "id": 2,
            "kind": "free_shipping_voucher",
            "points": 2000,
            "title": {"en": "Free shipping", "de": "Kostenloser Versand"},
        },
    ],
}


def engine_server_key(db: AsyncEngine) -> bytes:
    """The server key the app on ``db``'s database seals with (tessera.sealing)."""
    url = db.url.render_as_string(hide_password=False)
    return server_key(Settings(database_url=normalize_database_url(url)))


async def make_tenant(
    db: AsyncEngine,
    *,
    name: str = "Lion Rewards",
    scopes: list[str] | None = None,
    rate_limit: str | None = None,
    languages: list[str] | None = None,
    currencies: list[str] | None = None,
    program: dict[str, object] | None = None,
) -> Tenant:
    async with db.begin() as conn:
        created_program = await create_program(conn, name)
        site = await create_site(
            conn,
            created_program.id,
            name=f"{name} Store",
            url="https://shop.example.com",
            languages=languages or ["en", "de", "fr"],
            currencies=currencies or ["usd", "eur"],
            server_key=engine_server_key(db),
        )
        key = await create_key(
            conn,
            created_program.id,
            list(SCOPES) if scopes is None else scopes,
            rate_limit=rate_limit,
        )
        await apply_document(conn, created_program.id, parse_document(program or SMALL_PROGRAM))
    return Tenant(
        program_id=created_program.id,
        site=site.site,
        api_key=key.secret,
        site_token=site.token,
        site_secret=site.secret,
    )


async def make_customer(
    db: AsyncEngine, tenant: Tenant, merchant_id: str, *, points: int = 0, email: str | None = None
) -> Customer:
    async with db.begin() as conn:
        customer, _ = await get_or_create_customer(
            conn,
            program_id=tenant.program_id,
            site_id=tenant.site.id,
            merchant_id=merchant_id,
            email=email or f"{merchant_id}@example.com",
        )
        if points:
            await record(
                conn,
                program_id=tenant.program_id,
                customer_id=customer.id,
                points=points,
                state="approved",
                reason="test",
            )
    return customer
