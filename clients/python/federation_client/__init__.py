"""Blacklist Federation client SDK.

``federation_client.identifiers`` normalises and hashes identifiers exactly as
the federation does; it needs no server and no Flask.
"""

from .errors import FederationClientError, InvalidIdentifier

__all__ = ["FederationClientError", "InvalidIdentifier"]
__version__ = "0.1.0"
