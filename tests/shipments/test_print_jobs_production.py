"""250 packing slips printed through the README's production command: gunicorn with its flags (4 workers,
gunicorn's default 30 s timeout; bound to a free port) and a real django-q2 cluster, on PostgreSQL.

Before print jobs this request rendered the 250 slips itself (about 30 s of CPU) and gunicorn's timeout
killed it: HTTP 500 after 31 s. Now the request answers a redirect to the job's page, the cluster renders
the PDF, and the download is a 250-page PDF. No wall-clock assertion: the request must succeed, and the
answer must be the job's page (nothing rendered in it; tests/portal/test_print_jobs.py counts that).
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import requests

from shipments.models import PrintJob
from tests.factories import make_order
from tests.orders.test_import_workers import start_cluster, stop, wait_for, worker_env

ROOT = Path(__file__).resolve().parents[2]
# The README's web command ("Running in production"), bound to a free port instead of 8000.
README_COMMAND = ["config.wsgi", "--workers", "4", "--bind", "127.0.0.1:0"]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not os.environ.get("DATABASE_URL", "").startswith("postgres"),
        reason="worker processes need a shared database: runs in the PostgreSQL pass (DATABASE_URL=postgres://…)",
    ),
]


def start_gunicorn(env: dict, log) -> tuple[subprocess.Popen, str]:
    """gunicorn as the README runs it; its address read from its log ("Listening at: http://…")."""
    server = subprocess.Popen(
        [str(Path(sys.executable).with_name("gunicorn")), *README_COMMAND],
        cwd=ROOT,
        env=env,
        start_new_session=True,
        stdout=log,
        stderr=log,
    )
    found = {}

    def listening():
        match = re.search(r"Listening at: (http://127\.0\.0\.1:\d+)", Path(log.name).read_text())
        if match:
            found["base"] = match.group(1)
        return bool(found) or server.poll() is not None

    assert wait_for(listening, timeout=60) and "base" in found, Path(log.name).read_text()[-2000:]
    return server, found["base"]


def sign_in(base: str, username: str, password: str) -> requests.Session:
    session = requests.Session()
    session.get(f"{base}/login/", timeout=30)
    response = session.post(
        f"{base}/login/",
        data={"username": username, "password": password, "csrfmiddlewaretoken": session.cookies["csrftoken"]},
        timeout=30,
        allow_redirects=False,
    )
    assert response.status_code == 302, response.text[:500]
    return session


@pytest.mark.django_db(transaction=True)
def test_250_packing_slips_print_through_the_readme_production_command(alice, store_a):
    pypdf = pytest.importorskip("pypdf")
    ids = [make_order(store_a, lines=2, number=f"G-{i:03d}").pk for i in range(250)]
    env = worker_env("orm")
    with tempfile.NamedTemporaryFile("w+", suffix=".log") as log:
        cluster = start_cluster(env)
        server, base = start_gunicorn(env, log)
        try:
            session = sign_in(base, alice.username, "pw-for-tests-1")
            answer = session.post(
                f"{base}/orders/print/packing-slips/",
                data={"order_ids": ids, "csrfmiddlewaretoken": session.cookies["csrftoken"]},
                timeout=60,
                allow_redirects=False,
            )
            assert answer.status_code == 302, f"HTTP {answer.status_code}: {answer.text[:300]}"
            job = PrintJob.objects.get()
            assert answer.headers["Location"] == f"/print-jobs/{job.pk}/"
            page = session.get(base + answer.headers["Location"], timeout=30)
            assert page.status_code == 200 and 'id="print-progress"' in page.text
            status_url = f"{base}/print-jobs/{job.pk}/status/"
            seen = []

            def finished():
                status = session.get(status_url, timeout=30).json()
                seen.append(status["done"])
                return status["finished"]

            assert wait_for(finished, timeout=900, step=1), seen[-5:]
            status = session.get(status_url, timeout=30).json()
            assert status["state"] == "done", status
            pdf = session.get(base + status["download_url"], timeout=60)
            assert pdf.status_code == 200 and pdf.headers["Content-Type"] == "application/pdf"
            assert len(pypdf.PdfReader(io.BytesIO(pdf.content)).pages) == 250
            assert "[CRITICAL] WORKER TIMEOUT" not in Path(log.name).read_text()
        finally:
            stop(server)
            stop(cluster)
