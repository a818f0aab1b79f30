"""Pytest fixtures for the sandbox store. Register with `pytest_plugins = ["sandbox.pytest_plugin"]`.

- `sandbox_factory(**kwargs)`: start a store on a free loopback port (kwargs as for `run_sandbox`);
  every store it started is stopped at the end of the test.
- `sandbox`: a default small store (200 orders, seed 1), started fresh for each test.
- `carrier_sandbox`: the carrier sandbox (UPS, USPS, FedEx) on a free loopback port, no latency (set it
  with `.set_latency(0.3)`), stopped at the end of the test; its truth is `.labels_sold()`, `.truth_dict()`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from .server import SandboxServer, run_sandbox

SandboxFactory = Callable[..., SandboxServer]


@pytest.fixture
def sandbox_factory() -> Iterator[SandboxFactory]:
    servers: list[SandboxServer] = []

    def start(**kwargs: Any) -> SandboxServer:
        kwargs.setdefault("host", "127.0.0.1")
        kwargs.setdefault("port", 0)
        server = run_sandbox(**kwargs)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def sandbox(sandbox_factory: SandboxFactory) -> SandboxServer:
    return sandbox_factory(orders=200, seed=1)


@pytest.fixture
def carrier_sandbox():
    from .carriers import run_carrier_sandbox

    server = run_carrier_sandbox(latency=0)
    yield server
    server.stop()
