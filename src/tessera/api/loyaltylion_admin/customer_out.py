"""Customers as the Admin API shows them inside other resources."""

from __future__ import annotations

from tessera.customers.service import Customer
from tessera.loyalty.ledger import Balances

from .schemas import CustomerBriefOut


def customer_brief(customer: Customer, balances: Balances) -> CustomerBriefOut:
    return CustomerBriefOut(
        id=customer.id,
        merchant_id=customer.merchant_id,
        email=customer.email,
        points_pending=balances.pending,
        points_approved=balances.approved,
        points_spent=balances.spent,
    )
