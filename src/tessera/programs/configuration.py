"""A program's configuration: its rules (ways to earn) and rewards (ways to spend).

Stored as versioned documents: applying a configuration adds a version, the newest one is
in force, earlier ones are kept. The document format is the *program file* described in
docs/program-file.md; texts are maps of language to text, falling back to any language.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from tessera.kit.clock import utcnow
from tessera.kit.errors import Invalid
from tessera.store.tables import program_configurations

Text = dict[str, str]
Points = Annotated[int, msgspec.Meta(ge=0)]

RuleKind = Literal[
    "join_program",
    "pageview",
    "purchase",
    "birthday",
    "newsletter_signup",
    "clickthrough",
    "custom",
    "referral",
    "loyalty_pass_install",
]
RewardKind = Literal[
    "cart_discount_voucher",
    "free_shipping_voucher",
    "gift_card",
    "product_discount_voucher",
    "product_cart",
    "custom",
]


class RuleSpec(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    id: Annotated[int, msgspec.Meta(ge=1)]
    kind: RuleKind
    title: Text
    points: Points
    description: Text = {}
    # Set for rules that pay per unit of currency spent ("5 points per $1" -> points=5, 1).
    per_currency_unit: Annotated[float, msgspec.Meta(gt=0)] | None = None
    enabled: bool = True


class RewardSpec(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    id: Annotated[int, msgspec.Meta(ge=1)]
    kind: RewardKind
    title: Text
    points: Annotated[int, msgspec.Meta(ge=1)]
    description: Text = {}
    enabled: bool = True


class ProgramDocument(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    rules: list[RuleSpec] = []
    rewards: list[RewardSpec] = []
    auto_enrol: bool = True


EMPTY = ProgramDocument()


def localized(text: Text, language: str) -> str:
    """The text in ``language``, its base language, English, or whatever language has one."""
    if language in text:
        return text[language]
    base = language.split("-", 1)[0]
    for candidate in (base, "en"):
        if candidate in text:
            return text[candidate]
    return next(iter(text.values()), "")


def parse_document(data: Any) -> ProgramDocument:
    """Validate a decoded program file. Errors name the path of the bad field."""
    try:
        document = msgspec.convert(data, ProgramDocument)
    except msgspec.ValidationError as exc:
        message = str(exc)
        path = message.rsplit(" - at `", 1)[-1].rstrip("`") if " - at `" in message else "$"
        raise Invalid("Invalid program file", {path: message.split(" - at `")[0]}) from None
    _check_entries("rules", [(rule.id, rule.title) for rule in document.rules])
    _check_entries("rewards", [(reward.id, reward.title) for reward in document.rewards])
    return document


def _check_entries(field: str, entries: list[tuple[int, Text]]) -> None:
    """Ids are unique within rules and within rewards; every entry has a title."""
    seen: set[int] = set()
    for index, (entry_id, title) in enumerate(entries):
        if entry_id in seen:
            raise Invalid("Invalid program file", {f"$.{field}[{index}].id": "is a duplicate"})
        seen.add(entry_id)
        if not title:
            raise Invalid(
                "Invalid program file", {f"$.{field}[{index}].title": "needs one language"}
            )


async def apply_document(conn: AsyncConnection, program_id: int, document: ProgramDocument) -> int:
    """Store ``document`` as the program's newest version and return that version number."""
    current = await conn.scalar(
        sa.select(sa.func.max(program_configurations.c.version)).where(
            program_configurations.c.program_id == program_id
        )
    )
    version = int(current or 0) + 1
    await conn.execute(
        program_configurations.insert().values(
            program_id=program_id,
            version=version,
            document=msgspec.to_builtins(document),
            created_at=utcnow(),
        )
    )
    return version


async def current_document(conn: AsyncConnection, program_id: int) -> ProgramDocument:
    data = await conn.scalar(
        sa.select(program_configurations.c.document)
        .where(program_configurations.c.program_id == program_id)
        .order_by(program_configurations.c.version.desc())
        .limit(1)
    )
    return EMPTY if data is None else msgspec.convert(data, ProgramDocument)
