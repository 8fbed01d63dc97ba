"""An address on the loyalty email unsubscribe list, as the Admin API lists it and the
``loyalty_emails/unsubscribe`` webhook sends it."""

from __future__ import annotations

import msgspec


class UnsubscribeOut(msgspec.Struct):
    email: str
    id: str | None  # the merchant_id of the program's customer with that address, if any


def unsubscribe_out(email: str, merchant_id: str | None) -> UnsubscribeOut:
    return UnsubscribeOut(email=email, id=merchant_id)
