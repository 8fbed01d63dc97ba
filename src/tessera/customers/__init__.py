"""Customers: one record per program, keyed by the merchant's own id."""
