"""Members (platforms), their public keys, roles and access tokens."""
