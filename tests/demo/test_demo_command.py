"""`make demo` / `manage.py demo`: help without settings, ports as options, a busy port fails loudly."""

import os
import socket
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _run(*args, env_extra=None, timeout=60):
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL")}
    env.update(env_extra or {})
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )


def test_demo_help_needs_no_env_file():
    # An empty SECRET_KEY and DEBUG off is what a machine without .env looks like (real variables win over .env).
    result = _run("demo", "--help", env_extra={"SECRET_KEY": "", "DEBUG": "False"})
    assert result.returncode == 0, result.stderr
    assert "--port" in result.stdout and "--sandbox-port" in result.stdout and "DEMO_PORT" in result.stdout


def test_a_busy_web_port_fails_naming_the_port_and_the_option(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        busy_port = busy.getsockname()[1]
        result = _run(
            "demo",
            "--port",
            str(busy_port),
            "--sandbox-port",
            "0",
            "--carrier-port",
            "0",
            "--no-worker",
            env_extra={"DEBUG": "True", "SECRET_KEY": "test", "DATABASE_URL": f"sqlite:///{tmp_path}/d.db"},
        )
    assert result.returncode != 0
    assert f"Port {busy_port}" in result.stderr and "--port" in result.stderr and "DEMO_PORT" in result.stderr
    assert "demo is running" not in result.stdout


def test_a_busy_sandbox_port_names_its_own_option(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = _run("demo", "--sandbox-port", str(port), env_extra={"DEBUG": "True", "SECRET_KEY": "test"})
    assert result.returncode != 0 and f"Port {port}" in result.stderr and "--sandbox-port" in result.stderr


def test_no_axes_banner_at_start():
    result = _run("check", env_extra={"DEBUG": "True", "SECRET_KEY": "test"})
    assert result.returncode == 0, result.stderr
    assert "AXES: BEGIN" not in result.stdout + result.stderr


def test_make_demo_passes_args():
    makefile = (ROOT / "Makefile").read_text()
    assert "manage.py demo $(ARGS)" in makefile


def test_setup_connects_a_store_by_each_road(tmp_path):
    """The demo's second store reaches its sandbox through the REST API (an access token), the first through
    the ShipStation add-on; both sandboxes are stopped when the setup ends. Every server it starts binds a
    port of its own choosing (0), read back from what the demo prints."""
    import re
    import sqlite3

    from cryptography.fernet import Fernet

    db = tmp_path / "demo.db"
    result = _run(
        "demo",
        "--setup-only",
        "--sandbox-port",
        "0",
        "--rest-sandbox-port",
        "0",
        "--carrier-port",
        "0",
        "--orders",
        "20",
        timeout=120,
        env_extra={
            "DEBUG": "True",
            "SECRET_KEY": "test",
            "DATABASE_URL": f"sqlite:///{db}",
            "CREDENTIAL_KEYS": Fernet.generate_key().decode(),
            "ALLOW_PRIVATE_STORE_HOSTS": "True",
            "ALLOW_HTTP_STORE_URLS": "True",
        },
    )
    assert result.returncode == 0, result.stderr[-2000:]
    xml_port, rest_port = (
        int(p) for p in re.findall(r"Sandbox AmeriCommerce store: http://127\.0\.0\.1:(\d+)/", result.stdout)
    )
    assert f"Sandbox AmeriCommerce REST API: http://127.0.0.1:{rest_port}/api/v1 token=" in result.stdout
    assert xml_port != rest_port
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "SELECT name, road, url, "
            "(SELECT COUNT(*) FROM stores_storesecret WHERE store_id = stores_store.id AND kind='rest_token_secret'), "
            "(SELECT COUNT(*) FROM stores_storesecret WHERE store_id = stores_store.id AND kind = 'xml_secret') "
            "FROM stores_store ORDER BY id"
        ).fetchall()
        # Issue 29: each demo store ships from the demo warehouse, in the default box unless told otherwise.
        shipping = conn.execute(
            "SELECT COUNT(*) FROM carriers_storeshipping s JOIN carriers_shipfrom f ON f.id = s.default_ship_from_id"
            " WHERE f.postal_code = '78744'"
        ).fetchone()[0]
        default_box = conn.execute("SELECT name FROM carriers_packagepreset WHERE is_default").fetchall()
        # The demo sells labels from the carrier sandbox: its three accounts buy labels.
        sellers = conn.execute(
            "SELECT carrier FROM tracking_carrieraccount WHERE use_for_labels AND is_active ORDER BY carrier"
        ).fetchall()
    assert (shipping, default_box) == (2, [("Small box",)])
    assert sellers == [("FedEx",), ("UPS",), ("USPS",)]
    assert rows == [
        ("Demo AmeriCommerce store", "xml", f"http://127.0.0.1:{xml_port}", 0, 1),
        ("Demo AmeriCommerce store (REST API)", "rest", f"http://127.0.0.1:{rest_port}", 1, 0),
    ]


def test_banner_prints_what_the_connect_wizard_asks_for_each_sandbox_store():
    """Issue 25 item 28: a newcomer needs each sandbox store's URL, username and password, and token."""
    from io import StringIO

    from ops.management.commands.demo import Command

    out = StringIO()
    command = Command(stdout=out)
    xml = {"endpoint_url": "http://127.0.0.1:8765/store/shipstation.aspx", "username": "admin", "password": "pw-1"}
    rest = {"rest_url": "http://127.0.0.1:8766/api/v1", "token": "tok-2"}
    command._banner(8000, xml, rest, "http://127.0.0.1:8767")
    text = out.getvalue()
    assert "store URL http://127.0.0.1:8765  username=admin  password=pw-1" in text
    assert "store URL http://127.0.0.1:8766  token=tok-2" in text
