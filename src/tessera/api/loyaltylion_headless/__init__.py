"""LoyaltyLion Headless API 2025-06 (``/headless/2025-06/``)."""
