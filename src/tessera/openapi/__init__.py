"""The OpenAPI contracts Tessera serves and checks bodies against (read by tessera.api.contract)."""
