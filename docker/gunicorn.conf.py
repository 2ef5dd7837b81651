"""gunicorn's configuration: ``gunicorn -c docker/gunicorn.conf.py federation.wsgi:app``.

The same settings and hooks ``federation serve`` uses (``federation/serving.py``): workers
from the CPU count (``FEDERATION_WORKERS`` overrides), gthread workers, timeouts, and
workers that exit at once when their master dies, so a supervisor's restart can bind.
"""

from federation.serving import *  # noqa: F403 - gunicorn reads this module's settings by name
