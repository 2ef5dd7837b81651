"""Blacklist Federation client SDK.

``federation_client.identifiers`` normalises and hashes identifiers exactly as
the federation does; it needs no server and no Flask. ``FederationClient``
talks to the API with the member's own key.
"""

from .client import FederationClient
from .errors import FederationClientError, InvalidIdentifier, ProblemError

__all__ = ["FederationClient", "FederationClientError", "InvalidIdentifier", "ProblemError"]
__version__ = "0.1.0"
