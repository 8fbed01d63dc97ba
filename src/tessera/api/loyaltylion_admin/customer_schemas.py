"""Wire shapes of the Admin API's customers and transactions, mirroring admin-v2-customers.yaml:
what its requests carry and the envelopes of its answers (the objects themselves are
tessera.shapes.loyaltylion's)."""

from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import UNSET, UnsetType

from tessera.shapes.loyaltylion.customers import CustomerOut
from tessera.shapes.loyaltylion.transactions import TransactionOut

from .pagination import CursorOut

MAX_REASON_LENGTH = 255
MAX_POINTS_ADDED = 1_000_000
MAX_POINTS = 2**31 - 1
# Refuses NUL, which PostgreSQL text cannot hold (the decoder names the field).
NO_NUL = "^[^\x00]*$"
BIRTHDAY_PATTERN = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"

Reason = Annotated[str, msgspec.Meta(max_length=MAX_REASON_LENGTH, pattern=NO_NUL)]


# --- in ---------------------------------------------------------------------------------------


class CustomerChangesIn(msgspec.Struct, forbid_unknown_fields=True):
    # UNSET: leave as it is; None (birthday only): remove it.
    birthday: Annotated[str, msgspec.Meta(pattern=BIRTHDAY_PATTERN)] | UnsetType | None = UNSET
    blocked: bool | UnsetType = UNSET


class UpdateCustomerIn(msgspec.Struct, forbid_unknown_fields=True):
    customer: CustomerChangesIn


class AddPointsIn(msgspec.Struct, forbid_unknown_fields=True):
    points: Annotated[int, msgspec.Meta(ge=1, le=MAX_POINTS_ADDED)]
    reason: Reason | None = None


class RemovePointsIn(msgspec.Struct, forbid_unknown_fields=True):
    points: Annotated[int, msgspec.Meta(ge=1, le=MAX_POINTS)]
    reason: Reason | None = None


# --- customers out ----------------------------------------------------------------------------


class CustomersOut(msgspec.Struct):
    customers: list[CustomerOut]
    cursor: CursorOut


class CustomerEnvelopeOut(msgspec.Struct):
    customer: CustomerOut


# --- transactions out -------------------------------------------------------------------------


class TransactionsOut(msgspec.Struct):
    transactions: list[TransactionOut]
    cursor: CursorOut
