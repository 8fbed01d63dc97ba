"""Sessions a merchant mints for one customer: WebView, headless, Stripe customer sessions."""
