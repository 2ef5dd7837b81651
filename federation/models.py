"""Every concern's models, imported in one place.

Alembic's autogenerate and the model/migration drift test need the whole
schema on the metadata, whatever the app happened to import so far.
"""

from .database import Base

__all__ = ["Base"]
