"""The benches' one set-up: their environment and their throw-away database.

* `environment(database_url, **overrides)`: the production settings (`config.settings`) with DEBUG off (a
  demo's .env says True: every query kept, and query counts read 0), throw-away keys, stores on loopback
  allowed, quiet logs. Real environment variables win over `.env`, so these override a developer's `.env`;
  `overrides` win over these.
* `use_environment(...)`: the same, set in this process (for benches that run Django in-process).
* `sqlite_url(workdir)`: a throw-away SQLite file; `postgres_database(default_name)`: a database created (and
  dropped by the returned cleanup) on the server DATABASE_URL names, named as in the URL, or `default_name`
  when the URL names `postgres` or nothing, or BENCH_DB_NAME.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent


def environment(database_url: str | None = None, **overrides: str) -> dict[str, str]:
    from cryptography.fernet import Fernet

    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DEBUG": "False",
            "SECRET_KEY": "bench-" + "x" * 50,
            "CREDENTIAL_KEYS": Fernet.generate_key().decode(),
            "ALLOW_PRIVATE_STORE_HOSTS": "True",
            "ALLOW_HTTP_STORE_URLS": "True",
            "EMAIL_URL": "dummymail://",
            "LOG_LEVEL": "WARNING",
        }
    )
    if database_url:
        env["DATABASE_URL"] = database_url
    env.update(overrides)
    return env


def use_environment(database_url: str | None = None, **overrides: str) -> None:
    os.environ.update(environment(database_url, **overrides))


def sqlite_url(workdir: Path) -> str:
    return f"sqlite:///{Path(workdir) / 'bench.sqlite3'}"


def postgres_database(default_name: str) -> tuple[str, Callable[[], None]]:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        raise SystemExit("this bench needs PostgreSQL: set DATABASE_URL=postgres://user@host:port/postgres")
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    name = parts.path.strip("/")
    name = name if name and name != "postgres" else default_name
    name = os.environ.get("BENCH_DB_NAME", name)
    if not re.fullmatch(r"\w+", name):
        raise SystemExit(f"BENCH_DB_NAME must be a plain identifier, not {name!r}")
    admin = urlunsplit(parts._replace(path="/postgres")).replace("postgres://", "postgresql://", 1)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))

    def cleanup() -> None:
        from django.db import connections

        connections.close_all()
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))

    return urlunsplit(parts._replace(path=f"/{name}")), cleanup
