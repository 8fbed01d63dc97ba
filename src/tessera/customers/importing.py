"""Importing customers from another program (``tessera customers import``): each checked row
(tessera.customers.import_file) creates or updates its customer and sets the approved points
balance to the file's figure with one ledger entry of the difference, so importing the same
file again changes nothing.

Tiers are not set: the engine derives a member's tier from the ledger (tessera.loyalty.tiers),
so an import records the tier the imported points give (an ``entered_tier`` entry, as any
points change does) and reports the rows whose file names another tier.

The caller commits a batch of rows per transaction (``import_batch``); each row locks its
customer first, so a worker awarding points meanwhile cannot make the difference wrong.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from tessera.customers.import_file import BadRow, CustomerRow
from tessera.customers.service import (
    Customer,
    email_key,
    email_owner,
    find_customer,
    get_or_create_customer,
    update_customer,
)
from tessera.kit.errors import Conflict, Invalid, NotFound
from tessera.loyalty import ledger, tiers
from tessera.loyalty.program import LoyaltyProgram, load_program
from tessera.programs.sites import get_program, get_site, list_sites

BATCH = 500
MAX_EXAMPLES = 5  # line numbers shown per reason
IMPORT_REASON = "imported"


@dataclass(slots=True)
class ImportReport:
    """What an import did, row by row: created, updated, unchanged or skipped (by reason)."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: dict[str, int] = field(default_factory=dict)  # reason -> rows
    examples: dict[str, list[int]] = field(default_factory=dict)  # reason -> first lines
    # Imported rows whose tier is not the one their points give: (line, file's, program's).
    tier_differs: int = 0
    tier_examples: list[tuple[int, str, str]] = field(default_factory=list)

    @property
    def imported(self) -> int:
        return self.created + self.updated + self.unchanged

    @property
    def skipped_total(self) -> int:
        return sum(self.skipped.values())

    def skip(self, row: BadRow) -> None:
        self.skipped[row.reason] = self.skipped.get(row.reason, 0) + 1
        lines = self.examples.setdefault(row.reason, [])
        if len(lines) < MAX_EXAMPLES:
            lines.append(row.line)


async def import_target(
    conn: AsyncConnection, program_id: int, site_id: int | None
) -> LoyaltyProgram:
    """The program in force for the site the customers join: ``site_id``, or the program's
    only site (Invalid naming ``site`` when it has several, as the Admin API does)."""
    await get_program(conn, program_id)
    if site_id is not None:
        return await load_program(conn, await get_site(conn, program_id, site_id))
    sites = await list_sites(conn, program_id)
    if not sites:
        raise NotFound("site", f"Program {program_id} has no site yet")
    if len(sites) > 1:
        ids = ", ".join(str(site.id) for site in reversed(sites))
        raise Invalid(
            f"Program {program_id} has several sites: name the customers' site",
            {"site": f"is required, one of {ids}"},
        )
    return await load_program(conn, sites[0])


async def _customer_of(
    conn: AsyncConnection, program: LoyaltyProgram, row: CustomerRow
) -> tuple[Customer, bool]:
    """The row's customer, locked, created (a member or a guest) on first import."""
    customer = await find_customer(conn, program.id, row.merchant_id, for_update=True)
    if customer is not None:
        return customer, False
    _, created = await get_or_create_customer(
        conn,
        program_id=program.id,
        site_id=program.site.id,
        merchant_id=row.merchant_id,
        email=row.email,
        state="guest" if row.enrolled_at is None else "enrolled",
    )
    # Created here, or just now by someone else: either way, locked from here on.
    customer = await find_customer(conn, program.id, row.merchant_id, for_update=True)
    assert customer is not None
    return customer, created


async def _changes(conn: AsyncConnection, customer: Customer, row: CustomerRow) -> dict[str, Any]:
    """What the row changes on the customer; Conflict when its email is another customer's.
    An import enrols a guest with an ``enrolled_at``; it never un-enrols a member."""
    changes: dict[str, Any] = {}
    if customer.email != row.email:
        owner = await email_owner(conn, customer.program_id, row.email)
        if owner is not None and owner != customer.merchant_id:
            raise Conflict("email_already_in_use", "The email belongs to another customer")
        changes.update(email=row.email, email_key=email_key(row.email))
    if row.enrolled_at is not None:
        if customer.state != "enrolled":
            changes["state"] = "enrolled"
        if customer.enrolled_at != row.enrolled_at:
            changes["enrolled_at"] = row.enrolled_at
    return changes


async def _set_balance(
    conn: AsyncConnection, program: LoyaltyProgram, customer: Customer, points: int, now: datetime
) -> bool:
    """Make the approved balance ``points`` by one entry of the difference; False if it was."""
    difference = points - await ledger.approved_balance(conn, customer.id)
    if difference == 0:
        return False
    await ledger.record(
        conn,
        program_id=program.id,
        customer_id=customer.id,
        points=difference,
        state="approved",
        reason=IMPORT_REASON,
        kind="points_added" if difference > 0 else "points_removed",
        label=IMPORT_REASON,
        at=now,
    )
    return True


async def import_row(
    conn: AsyncConnection,
    program: LoyaltyProgram,
    row: CustomerRow,
    now: datetime,
    report: ImportReport,
) -> None:
    try:
        customer, created = await _customer_of(conn, program, row)
        if customer.state == "blocked":
            report.skip(BadRow(row.line, "blocked"))
            return
        changes = await _changes(conn, customer, row)
    except Conflict:  # the row's email is another customer's
        report.skip(BadRow(row.line, "email_in_use"))
        return
    if changes:
        customer = await update_customer(conn, customer, **changes)
    moved = await _set_balance(conn, program, customer, row.points, now)
    currency = program.site.default_currency
    if customer.state == "enrolled" and (created or changes or moved):
        await tiers.record_tier_change(conn, program, customer, currency, now)
    if created:
        report.created += 1
    elif changes or moved:
        report.updated += 1
    else:
        report.unchanged += 1
    if row.tier_id is not None:
        found = await tiers.standing(conn, program, customer, currency, now)
        if found is None or found.tier.id != row.tier_id:
            _tier_differs(report, program, row, None if found is None else found.tier.id)


def _tier_differs(
    report: ImportReport, program: LoyaltyProgram, row: CustomerRow, derived: int | None
) -> None:
    report.tier_differs += 1
    if len(report.tier_examples) < MAX_EXAMPLES and row.tier_id is not None:
        language = program.site.default_language
        given = program.tier_name(row.tier_id, language)
        report.tier_examples.append(
            (row.line, given, "none" if derived is None else program.tier_name(derived, language))
        )


async def import_batch(
    conn: AsyncConnection,
    program: LoyaltyProgram,
    rows: Iterable[CustomerRow],
    now: datetime,
    report: ImportReport,
) -> None:
    """Import ``rows`` in the caller's transaction (one batch of up to BATCH rows)."""
    for row in rows:
        await import_row(conn, program, row, now, report)
