"""The receiver's edges (issue 25): a chunked body is read (item 39), and no log line carries the
webhook token (item 38)."""

from __future__ import annotations

import io
import json
import logging

import pytest
from django.core.handlers.wsgi import WSGIHandler

from config.logmask import mask_hook_tokens
from hooks.models import HookStats, PendingFetch
from tests import factories
from tests.hooks.test_receiver import TOKEN, _arm, _url

# Transactional: the WSGI handler is driven directly, as a server would, and closes its connections.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def store(tenant_a, sandbox_factory, settings):
    settings.PUBLIC_BASE_URL = "http://testserver"
    return _arm(factories.connect_sandbox(tenant_a, sandbox_factory(orders=20, seed=3), road="rest"))


def _chunked(body: bytes) -> dict:
    """What gunicorn hands Django for a chunked request: the body de-chunked, no Content-Length."""
    status = {}

    def start_response(line, headers):
        status["line"] = line

    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": _url(),
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "CONTENT_TYPE": "application/json",
        "HTTP_TRANSFER_ENCODING": "chunked",
        "wsgi.input": io.BytesIO(body),
        "wsgi.url_scheme": "http",
        "wsgi.errors": io.StringIO(),
    }
    WSGIHandler()(environ, start_response)
    return status


def test_a_chunked_body_is_read(store):
    status = _chunked(json.dumps({"order": {"id": 100003}}).encode())
    assert status["line"].startswith("200")
    stats = HookStats.objects.get(store=store)
    assert (stats.events_received, stats.events_malformed) == (1, 0)


def test_a_chunked_body_past_the_cap_is_malformed_and_read_no_further(store, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = json.dumps({"order": {"id": 100003}, "pad": "x" * 5000}).encode()
    status = _chunked(body)
    assert status["line"].startswith("200")
    assert not PendingFetch.objects.exists()
    assert HookStats.objects.get(store=store).events_malformed == 1


def test_a_get_on_a_receiver_address_logs_no_token(client, store, caplog):
    with caplog.at_level(logging.INFO):
        assert client.get(_url()).status_code == 405
        assert (
            client.post("/hooks/americommerce/" + TOKEN + "x/", b"{}", content_type="application/json").status_code
            == 404
        )
    assert "/hooks/americommerce/" in caplog.text  # the lines are there...
    assert TOKEN[4:20] not in caplog.text  # ...without the token


def test_the_development_servers_access_line_is_masked_too():
    logger = logging.getLogger("django.server")
    record = logger.makeRecord(
        "django.server", logging.INFO, __file__, 1, '"%s" %s %s', (f"GET {_url()} HTTP/1.1", "405", "0"), None
    )
    assert logger.filter(record)
    assert TOKEN[4:20] not in record.getMessage() and TOKEN[:4] + "…" in record.getMessage()


def test_the_mask_keeps_four_characters_and_the_rest_of_the_line():
    assert mask_hook_tokens(f"Not Found: {_url()} (x)") == f"Not Found: /hooks/americommerce/{TOKEN[:4]}…/ (x)"
