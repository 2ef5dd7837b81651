"""Extensions are created unbound here and bound to an app in ``create_app``.

The flask-smorest ``Api`` is the exception: it keeps a reference to one app
(``Api._app``) and its spec, so ``create_app`` builds one per app. The test
suite runs several apps (one per database backend) in one process.
"""

from __future__ import annotations

from pathlib import Path

from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy

from .database import Base

MIGRATIONS_DIR = str(Path(__file__).resolve().parent.parent / "migrations")

db = SQLAlchemy(model_class=Base)
migrate = Migrate(directory=MIGRATIONS_DIR, compare_type=True, render_as_batch=True)
