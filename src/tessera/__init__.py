"""Tessera: short-lived, scoped customer sessions behind LoyaltyLion- and Stripe-compatible APIs."""

__version__ = "0.2.0"
