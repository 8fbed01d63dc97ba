"""LoyaltyLion's shapes: the Admin API's customers, transactions, rewards and orders, and the
webhook events built from them."""
