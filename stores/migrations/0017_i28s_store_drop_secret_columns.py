"""Issue 28 part 3: drop the six secret columns from the store's row, after 0016_i28s_store_secrets copied them
to the stores' secret documents (stores.StoreSecret). A later migration of the same change: on a live database,
deploy the code that reads the documents first, then run this one (docs/layers.md, "The store row holds the
store").

It first copies again what is still missing (a store the code before the documents connected meanwhile), and
refuses to drop anything while a secret no key can read is left: the columns stay until the key is back in
CREDENTIAL_KEYS or those credentials are entered again."""

from importlib import import_module

from django.core.management.base import CommandError
from django.db import migrations

copy = import_module("stores.migrations.0016_i28s_store_secrets")


def copy_the_rest(apps, schema_editor):
    unreadable = copy.copy_secrets(apps, schema_editor)
    if unreadable:
        raise CommandError(
            "Not dropping the store secret columns: no key in CREDENTIAL_KEYS reads "
            + "; ".join(unreadable)
            + ". Put back the key they were written with, or enter those stores' credentials again "
            "(the portal's store settings), then migrate again."
        )


class Migration(migrations.Migration):
    atomic = False  # the copy commits batch by batch (0016's)

    dependencies = [
        ('stores', '0016_i28s_store_secrets'),
    ]

    operations = [
        migrations.RunPython(copy_the_rest, migrations.RunPython.noop),
        migrations.RemoveField(
            model_name='store',
            name='api_token_encrypted',
        ),
        migrations.RemoveField(
            model_name='store',
            name='oauth_access_token_encrypted',
        ),
        migrations.RemoveField(
            model_name='store',
            name='oauth_expires_at',
        ),
        migrations.RemoveField(
            model_name='store',
            name='oauth_refresh_token_encrypted',
        ),
        migrations.RemoveField(
            model_name='store',
            name='oauth_scope',
        ),
        migrations.RemoveField(
            model_name='store',
            name='password_encrypted',
        ),
    ]
