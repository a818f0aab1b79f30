"""Accessibility of the shared field template, and French with nothing left in English."""

import gettext
import html
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

ROOT = Path(__file__).resolve().parents[2]
PO = ROOT / "locale" / "fr" / "LC_MESSAGES" / "django.po"


def described_ids(html: str) -> list[str]:
    return [i for ids in re.findall(r'aria-describedby="([^"]+)"', html) for i in ids.split()]


def assert_described_by_exists(html: str) -> None:
    for target in described_ids(html):
        assert f'id="{target}"' in html, f"aria-describedby points at #{target}, which is not on the page"


def test_help_text_is_tied_to_its_field(alice_client, store_a):
    html = alice_client.get(reverse("portal:connect_details")).content.decode()
    assert 'aria-describedby="id_url_helptext"' in html
    assert '<p class="help" id="id_url_helptext">' in html
    assert_described_by_exists(html)
    assert_described_by_exists(alice_client.get(reverse("portal:store_settings", args=[store_a.pk])).content.decode())


def test_errors_are_tied_to_their_fields(alice_client):
    html = alice_client.post(reverse("portal:connect_details"), {"name": "", "url": "not a url"}).content.decode()
    url_input = re.search(r'<input[^>]*name="url"[^>]*>', html).group(0)
    assert 'aria-invalid="true"' in url_input
    assert "id_url_error" in url_input and 'id="id_url_error"' in html
    assert_described_by_exists(html)


def test_order_page_in_french_has_localized_dates_units_and_history(alice_client, order_a, shipment_a):
    alice_client.cookies["django_language"] = "fr"
    body = alice_client.get(reverse("portal:order_detail", args=[order_a.pk])).content.decode()
    assert "livres" in body and "Pounds" not in body
    assert not re.search(r"\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\.? \d{1,2}, \d{4}", body)
    assert "Importée depuis la boutique" in body and "Imported from" not in body
    assert "Annuler l'expédition" in body  # Void, not the order status' "Annulée"


def gettext_tools() -> bool:
    if not shutil.which("msgattrib"):
        subprocess.run([str(ROOT / "bin" / "ensure-gettext")], check=False, timeout=600)
    return bool(shutil.which("msgattrib") and shutil.which("xgettext"))


def test_makemessages_leaves_french_complete(tmp_path):
    """Run makemessages (with the options the catalogue's header names) in a copy of the tree: no msgid
    of the code or the templates may be missing, empty or fuzzy in French, and the committed .mo is the
    compiled .po."""
    if not gettext_tools():
        reason = "GNU gettext is not installed and bin/ensure-gettext could not install it"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    command = re.search(r"^# Regenerate: manage\.py (makemessages .*)$", PO.read_text(), re.M).group(1)
    copy = tmp_path / "tree"
    shutil.copytree(
        ROOT,
        copy,
        ignore=shutil.ignore_patterns(
            ".venv", ".git", ".cache", "tests", "artifacts", "node_modules", "*.sqlite3*", "__pycache__"
        ),
    )
    env = {**os.environ, "DEBUG": "True", "DJANGO_SETTINGS_MODULE": "config.settings"}
    env.pop("DATABASE_URL", None)
    subprocess.run(
        [sys.executable, "manage.py", *shlex.split(command)],
        cwd=copy,
        env=env,
        check=True,
        capture_output=True,
        timeout=300,
    )
    fresh = copy / "locale" / "fr" / "LC_MESSAGES" / "django.po"

    def entries(*flags):
        out = subprocess.run(
            ["msgattrib", "--no-obsolete", *flags, str(fresh)], capture_output=True, text=True, check=True
        ).stdout
        return [m for m in re.findall(r'^msgid "(.*)"$', out, re.M) if m]

    assert entries("--untranslated") == [], "untranslated in French: run makemessages and translate"
    assert entries("--only-fuzzy") == [], "fuzzy in French: check and unflag them"
    compiled = copy / "fresh.mo"
    subprocess.run(["msgfmt", "-o", str(compiled), str(PO)], check=True)
    with open(compiled, "rb") as a, open(PO.with_suffix(".mo"), "rb") as b:
        assert gettext.GNUTranslations(a)._catalog == gettext.GNUTranslations(b)._catalog, (
            "locale/fr/LC_MESSAGES/django.mo is stale: run compilemessages"
        )


def test_date_pickers_keep_their_value_in_french(alice_client, order_a):
    alice_client.cookies["django_language"] = "fr"
    body = alice_client.get(reverse("portal:order_ship", args=[order_a.pk])).content.decode()
    ship_date = re.search(r'<input[^>]*name="ship_date"[^>]*>', body).group(0)
    assert re.search(r'value="\d{4}-\d{2}-\d{2}"', ship_date), ship_date


def test_connection_test_details_speak_french(alice_client, sandbox):
    alice_client.cookies["django_language"] = "fr"
    data = {
        "name": "Sandbox",
        "url": sandbox.base_url,
        "username": sandbox.username,
        "password": "nope",
        "endpoint_path": "/store/shipstation.aspx",
    }
    body = html.unescape(alice_client.post(reverse("portal:connect_details"), data).content.decode())
    assert "La boutique a refusé le nom d'utilisateur ou le mot de passe (HTTP 401)" in body
    unreachable = {**data, "url": "http://127.0.0.1:9"}
    body = html.unescape(alice_client.post(reverse("portal:connect_details"), unreachable).content.decode())
    assert "injoignable" in body and "could not be reached" not in body
    response = alice_client.post(reverse("portal:connect_details"), {**data, "password": sandbox.password}, follow=True)
    assert "Connectée. La boutique a répondu avec un export ShipStation" in response.content.decode()


def test_the_wizard_promises_no_retry_in_french_either(alice_client):
    # Issue 25 item 17: a connection test never retries; "Outbound réessaiera plus tard" was left in French.
    alice_client.cookies["django_language"] = "fr"
    data = {"name": "Gone", "url": "http://127.0.0.1:9", "username": "u", "password": "p", "endpoint_path": ""}
    body = html.unescape(alice_client.post(reverse("portal:connect_details"), data).content.decode())
    assert "injoignable" in body and "réessaiera" not in body and "try again later" not in body


def test_history_actors_of_outbounds_own_workers_speak_french(alice_client, order_a):
    # Issue 25 item 17: "— import run 1", "— outbox" were shown untranslated on the French order page.
    from orders.models import OrderEvent

    for actor in ("import run 1", "outbox", "UPS tracking", "alice"):
        OrderEvent.objects.create(order=order_a, kind="note", message="Something happened.", actor=actor)
    alice_client.cookies["django_language"] = "fr"
    body = html.unescape(alice_client.get(reverse("portal:order_detail", args=[order_a.pk])).content.decode())
    assert "— import n° 1" in body and "— boîte d'envoi" in body and "— suivi UPS" in body and "— alice" in body
    assert "import run" not in body and "— outbox" not in body
