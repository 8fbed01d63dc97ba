"""Payment methods for the Stripe dialect: cards made from Stripe's test tokens."""
