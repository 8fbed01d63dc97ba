"""LoyaltyLion Admin API v2 (``/v2``): WebView sessions, whoami, sites."""
