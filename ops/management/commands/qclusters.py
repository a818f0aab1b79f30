"""Runs one django-q2 cluster per queue (core.queues), each a `manage.py qcluster` with Q_CLUSTER_NAME set
to its queue's name, and stops them together: the one command for a small installation, the demo, the
tests and the benches. A large installation runs each queue's `qcluster` on its own (docs/queues.md).

SIGTERM or SIGINT stops every cluster (each finishes its running tasks, as `qcluster` does); a cluster
that exits on its own stops the others and this command fails, so a supervisor restarts the lot."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from core import queues


def cluster_argv() -> list[str]:
    return [sys.executable, str(settings.BASE_DIR / "manage.py"), "qcluster"]


class Command(BaseCommand):
    help = "Run one django-q2 cluster per queue (imports, outbox, batches, tracking) and stop them together."

    def add_arguments(self, parser):
        parser.add_argument(
            "--queue",
            action="append",
            choices=queues.KINDS,
            help="Run only this queue (repeat for several); every queue by default.",
        )

    def handle(self, *args, **opts):
        kinds = opts["queue"] or list(queues.KINDS)
        children: dict[str, subprocess.Popen] = {}
        stopping = False

        def stop(signum, frame):
            nonlocal stopping
            stopping = True
            for child in children.values():
                if child.poll() is None:
                    child.send_signal(signal.SIGTERM)

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        for kind in kinds:
            name = queues.cluster_name(kind)
            env = {**os.environ, "Q_CLUSTER_NAME": name}
            children[kind] = subprocess.Popen(cluster_argv(), env=env)
            workers = settings.Q_QUEUES[kind]["workers"]
            self.stdout.write(f"{kind} queue: cluster {name}, {workers} worker(s), pid {children[kind].pid}")
        failed = ""
        while any(child.poll() is None for child in children.values()):
            if not stopping:
                gone = [kind for kind, child in children.items() if child.poll() is not None]
                if gone:
                    failed = gone[0]
                    stop(None, None)
            time.sleep(0.2)
        if failed:
            raise CommandError(f"The {failed} queue's cluster exited ({children[failed].returncode}); all stopped.")
