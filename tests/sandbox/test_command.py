"""`manage.py sandbox_store` and `python -m sandbox` print their one line once the store accepts connections,
then serve until SIGTERM."""

import os
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
LINE = re.compile(r"^Sandbox AmeriCommerce store: (http://\S+) username=(\S+) password=(\S+)$")
REST_LINE = re.compile(r"^Sandbox AmeriCommerce REST API: (http://\S+/api/v1) token=(\S+)$")


@pytest.mark.parametrize("command", [["manage.py", "sandbox_store"], ["-m", "sandbox"]])
def test_command_prints_its_line_and_serves_until_terminated(command):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings_test"}
    process = subprocess.Popen(
        [
            sys.executable,
            *command,
            "--port",
            "0",  # the store binds a port of its own; its line says which
            "--orders",
            "50",
            "--seed",
            "1",
            "--window-precision",
            "exact",
            "--sort",
            "desc",
            "--change-during-paging",
            "out",
            "--webhook-loss",
            "0.2",
            "--webhook-delay",
            "0.5..2",
            "--webhook-reorder",
            "0.1",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        match = LINE.match(process.stdout.readline().strip())
        assert match, "no start-up line"
        url, username, password = match.groups()
        params = {"action": "export", "start_date": "01/01/2000 00:00", "end_date": "12/31/2099 23:59"}
        response = requests.get(url, params=params, auth=(username, password), timeout=10)
        assert response.status_code == 200 and response.content.count(b"<Order>") == 50
        truth = requests.get(url.split("/store/")[0] + "/_sandbox/truth?orders=0", timeout=10).json()
        assert truth["behaviour"] == {"window_precision": "exact", "sort": "desc", "change_during_paging": "out"}
        faults = truth["webhooks"]["faults"]
        assert faults == {"loss": 0.2, "delay": [0.5, 2.0], "duplicate": 0.0, "reorder": 0.1}
        rest = REST_LINE.match(process.stdout.readline().strip())
        assert rest, "no second line for the REST API"
        api, token = rest.groups()
        answer = requests.get(api + "/orders", params={"count": 10}, headers={"X-AC-Auth-Token": token}, timeout=10)
        assert answer.status_code == 200 and answer.json()["total_count"] == 50
        assert answer.headers["X-AC-Call-Limit"] == "1/50"
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0


def test_a_busy_port_is_a_clear_error_from_either_command():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = str(busy.getsockname()[1])
        for command in (["manage.py", "sandbox_store"], ["-m", "sandbox"]):
            result = subprocess.run(
                [sys.executable, *command, "--port", port, "--orders", "5"],
                cwd=ROOT,
                env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings_test"},
                capture_output=True,
                text=True,
                timeout=60,
            )
            assert result.returncode == 1 and "Cannot start the sandbox store" in result.stderr, command
