"""The carriers layer's karrio side: the capability table, the carrier codes kept in step with the
shipments', and each carrier's gateway pointed at an account's server. FedEx's OAuth credentials test runs
over real HTTP against a small FedEx-shaped token server on a loopback port (the carrier sandbox teaches
FedEx's rating and labels elsewhere)."""

from __future__ import annotations

import importlib
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest

from carriers import gateway
from carriers.capabilities import CAPABILITIES, carriers_that, extension_of
from carriers.models import CarrierCode
from carriers.services import carrier_account_create, carrier_account_test
from shipments.models import Carrier

pytestmark = pytest.mark.django_db


def test_every_carrier_has_a_row_an_installed_extension_and_the_shipments_code():
    assert set(CAPABILITIES) == set(CarrierCode.values)
    assert set(CarrierCode.values) <= set(Carrier.values)  # the same strings the store is sent
    for code in CarrierCode.values:
        importlib.import_module(f"karrio.mappers.{extension_of(code)}.settings")
    assert carriers_that("labels") == ["UPS", "USPS", "FedEx"]
    assert carriers_that("manifest") == ["USPS"]  # karrio-ups and karrio-fedex have no manifest call


@pytest.mark.parametrize(
    "carrier,extension,credential_fields",
    [
        ("UPS", "ups", {"client_id": "cid", "client_secret": "sec"}),
        ("USPS", "usps", {"client_id": "cid", "client_secret": "sec"}),
        ("FedEx", "fedex", {"api_key": "cid", "secret_key": "sec", "track_api_key": "cid"}),
    ],
)
def test_an_accounts_gateway_talks_to_its_server(tenant_a, carrier, extension, credential_fields):
    account = carrier_account_create(
        tenant=tenant_a,
        carrier=carrier,
        client_id="cid",
        client_secret="sec",
        account_number="A123",
        server_url="http://127.0.0.1:9",
    )
    settings = gateway.gateway_for(account).settings
    assert settings.server_url == "http://127.0.0.1:9" and settings.account_number == "A123"
    assert {k: getattr(settings, k) for k in credential_fields} == credential_fields
    # Without a server URL: karrio's own servers, by test mode.
    account.server_url, account.test_mode = "", True
    assert gateway.gateway_for(account).settings.server_url.startswith("https://")


class FedExTokens(BaseHTTPRequestHandler):
    """FedEx's OAuth endpoint as karrio-fedex calls it: POST /oauth/token, a form of the client credentials."""

    accepted = ("fedex-key", "fedex-secret")
    calls: list[dict] = []

    def do_POST(self):  # noqa: N802 - http.server's name
        form = {k: v[0] for k, v in parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode()).items()}
        type(self).calls.append({"path": self.path, **form})
        if (form.get("client_id"), form.get("client_secret")) == self.accepted:
            status, body = 200, {"access_token": "tok-1", "token_type": "bearer", "expires_in": 3599}
        else:
            status, body = 401, {"errors": [{"code": "NOT.AUTHORIZED.ERROR", "message": "Bad client credentials"}]}
        raw = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def log_message(self, *args):
        pass


@pytest.fixture
def fedex_server():
    FedExTokens.calls = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), FedExTokens)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_fedex_credentials_test_asks_fedex_for_a_token(tenant_a, fedex_server, settings):
    settings.ALLOW_PRIVATE_STORE_HOSTS, settings.ALLOW_HTTP_STORE_URLS = True, True
    account = carrier_account_create(
        tenant=tenant_a,
        carrier="FedEx",
        client_id="fedex-key",
        client_secret="fedex-secret",
        account_number="510087020",
        server_url=fedex_server,
    )
    assert carrier_account_test(account=account) == ("ok", "")
    assert FedExTokens.calls == [
        {
            "path": "/oauth/token",
            "grant_type": "client_credentials",
            "client_id": "fedex-key",
            "client_secret": "fedex-secret",
        }
    ]
    from carriers.services import carrier_account_update

    carrier_account_update(account=account, client_id="fedex-key", client_secret="wrong-secret")
    outcome, words = carrier_account_test(account=account)
    assert outcome == "refused" and "Bad client credentials" in words and "wrong-secret" not in words
    account.refresh_from_db()
    assert (account.last_test_ok, account.last_test_outcome) == (False, "refused")
