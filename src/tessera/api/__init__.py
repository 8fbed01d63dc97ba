"""HTTP dialects: each owns its auth scheme, body encoding, wire validation and error envelope."""
