"""Test settings: the production settings with test-friendly environment defaults.

Real environment variables still win, so `.ci/run` points the same suite at PostgreSQL with
DATABASE_URL.
"""

import os

from config.env import env_bool

os.environ.setdefault("DEBUG", "False")
os.environ.setdefault("SECRET_KEY", "test-secret-key-" + "x" * 40)
os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")
os.environ.setdefault("SECURE_SSL_REDIRECT", "False")
os.environ.setdefault("SESSION_COOKIE_SECURE", "False")
os.environ.setdefault("CSRF_COOKIE_SECURE", "False")
os.environ.setdefault("SECURE_HSTS_SECONDS", "0")
# Two fixed test keys (newest first) so rotation can be exercised.
os.environ.setdefault(
    "CREDENTIAL_KEYS", "a2tra2tra2tra2tra2tra2tra2tra2tra2tra2tra2s=,ampqampqampqampqampqampqampqampqampqampqamo="
)
os.environ.setdefault("ALLOW_PRIVATE_STORE_HOSTS", "True")
os.environ.setdefault("ALLOW_HTTP_STORE_URLS", "True")
os.environ.setdefault("EMAIL_URL", "memorymail://")
os.environ.setdefault("LOG_FORMAT", "text")  # plain lines in pytest's captured logs

from .settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
Q_CLUSTER = {**Q_CLUSTER, "sync": env_bool("Q_SYNC", default=True)}  # noqa: F405  (tasks run inline unless Q_SYNC is off)
if DATABASES["default"]["ENGINE"] == "config.sqlite":  # noqa: F405
    # The SQLite test database lives in memory, one per test process: each pytest-xdist worker has its own
    # and no run shares a path with another (pytest-django would otherwise derive a broken
    # "test_<path>_gw0" name, as it does not know this engine for SQLite's).
    DATABASES["default"]["TEST"] = {"NAME": ":memory:"}  # noqa: F405
