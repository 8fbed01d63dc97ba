"""The points ledger and what is derived from it."""
