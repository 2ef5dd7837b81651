"""The server's view of the identifier spec.

There is exactly one implementation of normalisation and hashing, in
``federation_client.identifiers``; the server imports it rather than keeping a
second copy that could drift. Server-only concerns (the storage pepper,
hash-shape checks) live beside this re-export as they arrive.
"""

from federation_client.identifiers import (
    DERIVED_TYPES,
    HASH_PATTERN,
    IDENTIFIER_TYPES,
    KEY_ID_PATTERN,
    PRIMARY_TYPES,
    SPEC_VERSION,
    HashedIdentifier,
    IdentifierHashes,
    InvalidIdentifier,
    derived,
    hash_all,
    hash_all_salts,
    hash_identifier,
    hash_normalized,
    normalize,
)

#: Hashes of one identifier in one request: one per accepted salt, and a federation keeps few at once.
MAX_HASHES = 4

__all__ = [
    "DERIVED_TYPES",
    "HASH_PATTERN",
    "IDENTIFIER_TYPES",
    "KEY_ID_PATTERN",
    "MAX_HASHES",
    "PRIMARY_TYPES",
    "SPEC_VERSION",
    "HashedIdentifier",
    "IdentifierHashes",
    "InvalidIdentifier",
    "derived",
    "hash_all",
    "hash_all_salts",
    "hash_identifier",
    "hash_normalized",
    "normalize",
]
