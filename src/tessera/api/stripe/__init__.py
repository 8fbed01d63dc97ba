"""Stripe API (``/v1``): customers, payment methods, customer sessions, for stripe-python."""
