import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from ops.checks import check_q_cluster
from stores.checks import check_credential_keys

ROOT = Path(__file__).resolve().parents[2]


def ids(errors):
    return {e.id for e in errors}


def test_retry_not_larger_than_timeout_fails(settings):
    settings.Q_CLUSTER = {"timeout": 60, "retry": 60, "max_attempts": 3}
    assert "outbound.E002" in ids(check_q_cluster())
    settings.Q_CLUSTER = {"timeout": 60, "retry": 30, "max_attempts": 3}
    assert "outbound.E002" in ids(check_q_cluster())


def test_unlimited_max_attempts_fails(settings):
    settings.Q_CLUSTER = {"timeout": 60, "retry": 90, "max_attempts": 0}
    assert "outbound.E003" in ids(check_q_cluster())
    settings.Q_CLUSTER = {"timeout": 60, "retry": 90}
    assert "outbound.E003" in ids(check_q_cluster())


def test_sane_configuration_passes(settings):
    settings.Q_CLUSTER = {"timeout": 60, "retry": 90, "max_attempts": 3}
    assert check_q_cluster() == []


def test_each_queue_needs_a_worker_its_own_name_and_a_retry_above_its_timeout(settings):
    good = {"workers": 1, "timeout": 60, "retry": 90}
    settings.Q_QUEUES = {"imports": {**good, "name": "o"}, "outbox": {**good, "name": "o-outbox"}}
    assert check_q_cluster() == []
    settings.Q_QUEUES = {"imports": {**good, "name": "o"}, "outbox": {**good, "name": "o-outbox", "workers": 0}}
    assert ids(check_q_cluster()) == {"outbound.E007"}
    settings.Q_QUEUES = {"imports": {**good, "name": "o"}, "outbox": {**good, "name": "o"}}
    assert ids(check_q_cluster()) == {"outbound.E008"}
    settings.Q_QUEUES = {"imports": {**good, "name": "o"}, "batches": {**good, "name": "o-b", "retry": 60}}
    errors = check_q_cluster()
    assert ids(errors) == {"outbound.E002"} and "Q_QUEUES['batches']" in errors[0].msg


def test_manage_check_deploy_refuses_a_queue_without_workers_or_sharing_a_name():
    env = dict(
        DJANGO_SETTINGS_MODULE="config.settings",
        DEBUG="False",
        SECRET_KEY="k7#Qm2!vX9zR4pL8wN1sT6yB3cF5hJ0dG2aE7uI9oP4kM8nV1x",
        ALLOWED_HOSTS="outbound.example.com",
        CREDENTIAL_KEYS="a2tra2tra2tra2tra2tra2tra2tra2tra2tra2tra2s=",
    )
    result = run_manage("check", "--deploy", Q_BATCHES_WORKERS="0", Q_TRACKING_NAME="outbound-outbox", **env)
    assert result.returncode != 0
    assert "outbound.E007" in result.stderr and "outbound.E008" in result.stderr


def test_a_qcluster_for_a_queue_that_does_not_exist_stops_at_start_up():
    result = run_manage("check", DJANGO_SETTINGS_MODULE="config.settings_test", Q_CLUSTER_NAME="outbound-outbx")
    assert result.returncode != 0
    assert "Q_CLUSTER_NAME='outbound-outbx' names no queue" in result.stderr


def test_missing_credential_keys_fail_the_deploy_check(settings):
    settings.CREDENTIAL_KEYS = []
    assert ids(check_credential_keys()) == {"outbound.E004"}
    settings.CREDENTIAL_KEYS = [" ", ""]  # what CREDENTIAL_KEYS=", " reads as
    assert ids(check_credential_keys()) == {"outbound.E004"}


def test_malformed_credential_key_fails_the_deploy_check_without_showing_it(settings):
    bad = "not-a-fernet-key-but-a-secret-all-the-same"
    settings.CREDENTIAL_KEYS = [Fernet.generate_key().decode(), bad, "c2hvcnQ="]
    errors = check_credential_keys()
    assert [e.id for e in errors] == ["outbound.E005", "outbound.E005"]
    assert "key 2 of 3" in errors[0].msg and "key 3 of 3" in errors[1].msg
    assert all(bad not in e.msg and bad not in (e.hint or "") for e in errors)


def test_valid_credential_keys_pass_the_deploy_check(settings):
    settings.CREDENTIAL_KEYS = [Fernet.generate_key().decode(), Fernet.generate_key().decode()]
    assert check_credential_keys() == []


# Variables the test settings put in the environment; a deploy check must see the defaults instead.
TEST_ONLY = {
    "DJANGO_SETTINGS_MODULE",
    "SECURE_SSL_REDIRECT",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "SECURE_HSTS_SECONDS",
    "DEBUG",
    "ALLOW_PRIVATE_STORE_HOSTS",
    "ALLOW_HTTP_STORE_URLS",
}


def run_manage(*args, **env):
    full_env = {k: v for k, v in os.environ.items() if k not in TEST_ONLY}
    full_env.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=full_env, capture_output=True, text=True, timeout=120
    )


def test_manage_check_refuses_misconfigured_queue():
    result = run_manage("check", DJANGO_SETTINGS_MODULE="config.settings_test", Q_TIMEOUT="600", Q_RETRY="300")
    assert result.returncode != 0
    assert "outbound.E002" in result.stderr


# A production configuration that passes `check --deploy --fail-level WARNING`.
PRODUCTION = {
    "DJANGO_SETTINGS_MODULE": "config.settings",
    "DEBUG": "False",
    "SECRET_KEY": "k7#Qm2!vX9zR4pL8wN1sT6yB3cF5hJ0dG2aE7uI9oP4kM8nV1x",
    "ALLOWED_HOSTS": "outbound.example.com",
    "CREDENTIAL_KEYS": "a2tra2tra2tra2tra2tra2tra2tra2tra2tra2tra2s=",
    "ADMINS": "Ops <ops@example.com>",
}


def test_check_deploy_is_clean_with_debug_off():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_warns_when_alerts_reach_nobody():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", **{**PRODUCTION, "ADMINS": ""})
    assert result.returncode != 0
    assert "outbound.W031" in result.stderr and "ADMINS is empty" in result.stderr


def test_a_malformed_admins_value_stops_start_up_naming_the_variable():
    result = run_manage("check", DJANGO_SETTINGS_MODULE="config.settings_test", ADMINS="Ops <ops@example.com>,nobody")
    assert result.returncode != 0
    assert "ADMINS: 'nobody' is not an e-mail address" in result.stderr


def test_check_deploy_refuses_missing_credential_keys():
    result = run_manage(
        "check",
        "--deploy",
        DJANGO_SETTINGS_MODULE="config.settings",
        DEBUG="False",
        SECRET_KEY="k7#Qm2!vX9zR4pL8wN1sT6yB3cF5hJ0dG2aE7uI9oP4kM8nV1x",
        ALLOWED_HOSTS="outbound.example.com",
        CREDENTIAL_KEYS="",
    )
    assert result.returncode != 0
    assert "outbound.E004" in result.stderr


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("SESSION_COOKIE_SECURE", "ture", "SESSION_COOKIE_SECURE='ture' is not a boolean"),
        ("DEFAULT_FROM_EMAIL", "Outbound", "DEFAULT_FROM_EMAIL='Outbound' holds no e-mail address"),
        ("Q_TIMEOUT", "15m", "Q_TIMEOUT='15m' is not a whole number"),
        ("LOG_LEVEL", "verbose", "LOG_LEVEL='VERBOSE' is not one of"),
        ("API_RATE_LIMIT", "lots", "API_RATE_LIMIT='lots' is not a rate"),
    ],
)
def test_bad_value_stops_start_up_naming_the_variable(name, value, message):
    result = run_manage("check", DJANGO_SETTINGS_MODULE="config.settings_test", **{name: value})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert message in result.stderr
