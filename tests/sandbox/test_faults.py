"""Fault switches: scripted or random, per action, and each kind does what it says."""

import time
import xml.etree.ElementTree as StdET

import defusedxml
import defusedxml.ElementTree as SafeET
import pytest
import requests

from sandbox import SandboxStore
from sandbox import server as sandbox_server

from .conftest import export, post_notice


@pytest.mark.parametrize(("kind", "status"), [("429", 429), ("500", 500), ("503", 503), ("down", 503)])
def test_rejecting_faults_answer_their_status_then_the_store_recovers(sandbox, kind, status):
    sandbox.set_faults(sequence=[kind])
    response = export(sandbox)
    assert response.status_code == status and response.headers["Content-Type"].startswith("text/html")
    assert export(sandbox).status_code == 200


def test_429_carries_retry_after(sandbox):
    sandbox.set_faults(sequence=["429"], retry_after=3)
    assert export(sandbox).headers["Retry-After"] == "3"


class _SleepRecorder:
    """The server module's `time`, with a sleep that records what it was asked for and sleeps no time."""

    def __init__(self):
        self.slept = []

    def sleep(self, seconds):
        self.slept.append(seconds)

    def __getattr__(self, name):
        return getattr(time, name)


def test_slow_waits_the_delay_then_answers(sandbox, monkeypatch):
    clock = _SleepRecorder()
    monkeypatch.setattr(sandbox_server, "time", clock)
    sandbox.set_faults(sequence=["slow:0.4"])
    assert export(sandbox).status_code == 200
    assert clock.slept == [0.4]  # one wait, as long as the fault says, before the normal answer
    assert export(sandbox).status_code == 200 and clock.slept == [0.4]


def test_drop_closes_without_a_response(sandbox):
    sandbox.set_faults(sequence=["drop"])
    with pytest.raises(requests.ConnectionError):
        export(sandbox)


def test_truncate_cuts_the_body_short(sandbox):
    sandbox.set_faults(sequence=["truncate"])
    with pytest.raises(requests.RequestException):
        export(sandbox)


def test_malformed_is_a_200_that_does_not_parse(sandbox):
    sandbox.set_faults(sequence=["malformed"])
    response = export(sandbox)
    assert response.status_code == 200
    with pytest.raises(StdET.ParseError):
        SafeET.fromstring(response.content)


def test_bomb_is_an_entity_expansion_document(sandbox):
    sandbox.set_faults(sequence=["bomb"])
    response = export(sandbox)
    assert response.status_code == 200 and b"<!ENTITY" in response.content
    with pytest.raises(defusedxml.EntitiesForbidden):
        SafeET.fromstring(response.content)


def test_down_switch_holds_until_reset(sandbox):
    sandbox.set_faults(down=True)
    assert [export(sandbox).status_code for _ in range(3)] == [503, 503, 503]
    sandbox.reset_faults()
    assert export(sandbox).status_code == 200


def test_faults_apply_only_to_the_configured_action(sandbox):
    sandbox.set_faults(sequence=["500"], actions="shipnotify")
    assert export(sandbox).status_code == 200
    assert post_notice(sandbox, "AC-10001").status_code == 500
    assert requests.get(sandbox.base_url + "/", timeout=10).status_code == 200


def test_a_dropped_shipnotify_was_recorded_so_the_retry_is_a_duplicate(sandbox):
    sandbox.set_faults(sequence=["drop"], actions="shipnotify")
    with pytest.raises(requests.ConnectionError):
        post_notice(sandbox, "AC-10002")
    assert post_notice(sandbox, "AC-10002").status_code == 200
    assert sandbox.truth()["shipnotify_log"]["duplicates_ignored"] == 1


def test_random_faults_follow_the_seed():
    def fired(seed):
        store = SandboxStore(orders=5, seed=seed)
        store.set_faults(rate=0.5, kinds=["429", "500", "drop"])
        return [store.pick_fault("export")[0] for _ in range(40)]

    assert fired(1) == fired(1) != fired(2)
    assert {None, "429", "500", "drop"} == set(fired(1))


def test_unknown_fault_kinds_are_refused(sandbox):
    with pytest.raises(ValueError):
        sandbox.set_faults(sequence=["teapot"])
