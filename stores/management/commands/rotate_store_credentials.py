"""Re-encrypt every stored secret (stores' secret documents of every kind, webhook signing secrets, carrier
accounts' credentials) with the newest key.

Rotation: put a new key first in CREDENTIAL_KEYS keeping the old ones after it, run this, then drop the
old keys. Safe to run again: secrets already under the newest key are left as they are.
"""

from django.core.management.base import BaseCommand, CommandError

from stores.crypto import rotate_all_secrets


class Command(BaseCommand):
    help = "Re-encrypt every store secret with the newest key in CREDENTIAL_KEYS (idempotent)."

    def handle(self, *args, **options):
        report = rotate_all_secrets()
        self.stdout.write(
            f"Re-encrypted {report.rotated} secret{'s' if report.rotated != 1 else ''} with the "
            f"newest key; {report.current} already used it."
        )
        if report.unreadable:
            raise CommandError(
                f"{len(report.unreadable)} secret(s) cannot be read with any key in CREDENTIAL_KEYS and were left "
                f"as they are: {', '.join(report.unreadable)}. Put the key they were written with back in "
                "CREDENTIAL_KEYS, or enter those credentials again."
            )
