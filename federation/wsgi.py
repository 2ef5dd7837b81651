"""WSGI entry point for external servers: ``gunicorn federation.wsgi:app``."""

from . import create_app

app = create_app()
