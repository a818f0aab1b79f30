"""Structured logs (issue 31, part 3): one JSON object per line in production, with the request id (an
incoming sane X-Request-ID kept), the task, tenant, store and import run where there is one; the webhook
token mask stays in the chain."""

import io
import json
import logging

import pytest

from config.logjson import JsonFormatter, TextFormatter
from config.logmask import MaskHookTokens
from config.request_id import request_id_of
from core import logcontext, queues


@pytest.fixture
def json_log():
    """The production console handler: the mask filter, then the JSON formatter."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(MaskHookTokens())
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    old_level = root.level
    root.setLevel(logging.INFO)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    root.removeHandler(handler)
    root.setLevel(old_level)


def test_one_json_object_per_line_with_its_context_and_no_hook_token(json_log):
    logger = logging.getLogger("outbound.test")
    with logcontext.bound(tenant_id=3, store_id=7, run_id=11):
        logger.warning("Webhook refused on /hooks/americommerce/SECRETTOKEN1234567/ for\nstore 7")
    try:
        raise ValueError("boom")
    except ValueError:
        logger.exception("Failed")
    first, second = json_log()
    assert first["level"] == "WARNING" and first["logger"] == "outbound.test"
    assert (first["tenant_id"], first["store_id"], first["run_id"]) == (3, 7, 11)
    assert "SECRETTOKEN1234567" not in json.dumps(first) and "/hooks/americommerce/SECR…" in first["message"]
    assert "store_id" not in second and "ValueError: boom" in second["exception"]


@pytest.mark.django_db
def test_a_request_carries_its_id_into_its_lines_and_its_answer(client, json_log, settings):
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "sync": False}  # no cluster seen: the probe logs "Not ready"
    response = client.get("/health/ready", HTTP_X_REQUEST_ID="lb-req-42")
    assert response["X-Request-ID"] == "lb-req-42"
    lines = [line for line in json_log() if line["logger"] == "ops.health"]
    assert lines and all(line["request_id"] == "lb-req-42" for line in lines)
    fresh = client.get("/health/live", HTTP_X_REQUEST_ID='evil"\n{"level":"INFO"}')["X-Request-ID"]
    assert len(fresh) == 32 and fresh.isalnum()
    assert logcontext.current() == {}  # nothing left behind for the next request


def test_request_ids_are_kept_only_when_sane():
    assert request_id_of("abc-DEF_1.2") == "abc-DEF_1.2"
    for bad in ["", "a" * 65, "a b", "x\ny", "ü"]:
        assert request_id_of(bad) != bad and len(request_id_of(bad)) == 32


def test_a_task_s_lines_carry_its_name_and_id(json_log):
    queues.task_started(task={"id": "t-1", "func": "orders.tasks.import_run_task", "name": "alpha-beta"})
    logging.getLogger("outbound.test").info("inside")
    queues.task_finished()
    logging.getLogger("outbound.test").info("after")
    inside, after = json_log()
    assert (inside["task"], inside["task_id"]) == ("orders.tasks.import_run_task", "t-1")
    assert "task" not in after


def test_plain_text_keeps_the_message_and_adds_the_context():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "Imported %s", (5,), None)
    assert TextFormatter().format(record) == "Imported 5"
    with logcontext.bound(store_id=9):
        assert TextFormatter().format(record) == "Imported 5 [store_id=9]"


@pytest.mark.django_db
def test_an_import_run_binds_its_tenant_store_and_run(tenant_a, sandbox_factory, json_log):
    import datetime as dt

    from django.utils import timezone

    from orders.services import import_store_now
    from tests.factories import connect_sandbox
    from tests.orders.conftest import mapping_with_customs

    shop = sandbox_factory(orders=5, seed=4)
    store = connect_sandbox(tenant_a, shop, name="Log shop", mapping=mapping_with_customs())
    shop.set_faults(down=True)  # the failure is logged inside the run
    run = import_store_now(store=store, since=timezone.now() - dt.timedelta(days=30))
    lines = [line for line in json_log() if line.get("run_id") == run.pk]
    assert lines, json_log()
    assert all((line["tenant_id"], line["store_id"]) == (tenant_a.pk, store.pk) for line in lines)


def test_a_task_run_inline_gives_the_request_its_fields_back(json_log):
    with logcontext.bound(request_id="req-1"):
        queues.task_started(task={"id": "t-2", "func": "outbox.tasks.outbox_relay_task"})
        assert logcontext.current() == {
            "request_id": "req-1",
            "task": "outbox.tasks.outbox_relay_task",
            "task_id": "t-2",
        }
        queues.task_finished()
        assert logcontext.current() == {"request_id": "req-1"}
