"""Issue 28 part 3: a store's secrets become one encrypted document per connection type (stores.StoreSecret:
the XML road's password, the REST token, the OAuth set), instead of six columns of the store's row.

Create and copy, in batches of stores by primary key (a live database: each batch its own short transaction).
Each secret is decrypted with CREDENTIAL_KEYS and its kind's document encrypted with the newest key; a secret no
key can read is not copied and is told (printed: store and column), and the later migration that drops the
columns (0017_i28s_store_drop_secret_columns) refuses to run while one is left, so nothing is lost unnoticed.
A document the new code wrote meanwhile wins over the copy. Backwards: the documents go back to the columns."""

import datetime as dt
import json

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models
from django.utils import timezone

from stores import crypto

BATCH = 500
COLUMNS = (
    "password_encrypted",
    "api_token_encrypted",
    "oauth_access_token_encrypted",
    "oauth_refresh_token_encrypted",
    "oauth_expires_at",
    "oauth_scope",
)
# Each kind, and the column that says a store has it.
KIND_COLUMNS = {
    "xml_secret": "password_encrypted",
    "rest_token_secret": "api_token_encrypted",
    "rest_oauth_secret": "oauth_access_token_encrypted",
}


def documents_of(row: dict) -> tuple[dict, list[str]]:
    """The store's documents ({kind: dict}) from its columns, and the columns no key could read."""
    documents, unreadable = {}, []

    def plain(column: str) -> str | None:
        try:
            return crypto.decrypt_secret(row[column]) if row[column] else ""
        except crypto.CredentialError:
            unreadable.append(column)
            return None

    if row["password_encrypted"] and (password := plain("password_encrypted")) is not None:
        documents["xml_secret"] = {"password": password}
    if row["api_token_encrypted"] and (token := plain("api_token_encrypted")) is not None:
        documents["rest_token_secret"] = {"token": token}
    if row["oauth_access_token_encrypted"]:
        access, refresh = plain("oauth_access_token_encrypted"), plain("oauth_refresh_token_encrypted")
        if access is not None and refresh is not None:
            expires = row["oauth_expires_at"]
            documents["rest_oauth_secret"] = {
                "access_token": access,
                "refresh_token": refresh,
                "expires_at": expires.isoformat() if expires is not None else None,
                "scope": row["oauth_scope"],
            }
    return documents, unreadable


def copy_secrets(apps, schema_editor) -> list[str]:
    """Copy every store's secrets to its documents (a kind it has a document of already is left as it is:
    the drop migration runs it again for what changed between the two);
    returns, and prints, what could not be read ("store 12: api_token_encrypted")."""
    Store = apps.get_model("stores", "Store")
    StoreSecret = apps.get_model("stores", "StoreSecret")
    db = schema_editor.connection.alias
    unreadable, last = [], 0
    has_any = models.Q()
    for column in KIND_COLUMNS.values():
        has_any |= ~models.Q(**{column: ""})
    while True:
        batch = list(
            Store.objects.using(db).filter(pk__gt=last).filter(has_any).order_by("pk").values("pk", *COLUMNS)[:BATCH]
        )
        if not batch:
            break
        last = batch[-1]["pk"]
        copied = set(
            StoreSecret.objects.using(db).filter(store_id__in=[row["pk"] for row in batch]).values_list("store_id", "kind")
        )
        rows, now = [], timezone.now()
        for row in batch:
            for kind, column in KIND_COLUMNS.items():
                if (row["pk"], kind) in copied:
                    row[column] = ""  # copied already, or written by the new code since: that one wins
            documents, columns = documents_of(row)
            unreadable += [f"store {row['pk']}: {column}" for column in columns]
            rows += [
                StoreSecret(
                    store_id=row["pk"],
                    kind=kind,
                    document_encrypted=crypto.encrypt_secret(json.dumps(document)),
                    updated_at=now,
                )
                for kind, document in documents.items()
            ]
        StoreSecret.objects.using(db).bulk_create(rows, ignore_conflicts=True)
    if unreadable:
        print(
            "\n  Store secrets no key in CREDENTIAL_KEYS can read, not copied: "
            + "; ".join(unreadable)
            + ". Put back the key they were written with and migrate again, or enter those credentials again."
        )
    return unreadable


def copy_back(apps, schema_editor):
    Store = apps.get_model("stores", "Store")
    StoreSecret = apps.get_model("stores", "StoreSecret")
    db = schema_editor.connection.alias
    secrets = StoreSecret.objects.using(db).order_by("pk").values_list("store_id", "kind", "document_encrypted")
    for store_id, kind, token in secrets.iterator(chunk_size=BATCH):
        document = json.loads(crypto.decrypt_secret(token))
        if kind == "xml_secret":
            values = {"password_encrypted": crypto.encrypt_secret(document["password"])}
        elif kind == "rest_token_secret":
            values = {"api_token_encrypted": crypto.encrypt_secret(document["token"])}
        else:
            refresh, expires = document.get("refresh_token"), document.get("expires_at")
            values = {
                "oauth_access_token_encrypted": crypto.encrypt_secret(document["access_token"]),
                "oauth_refresh_token_encrypted": crypto.encrypt_secret(refresh) if refresh else "",
                "oauth_expires_at": dt.datetime.fromisoformat(expires) if expires else None,
                "oauth_scope": document.get("scope") or "",
            }
        Store.objects.using(db).filter(pk=store_id).update(**values)


class Migration(migrations.Migration):
    atomic = False  # each batch commits on its own

    dependencies = [
        ('stores', '0015_i28_store_row_drop_import'),
    ]

    operations = [
        migrations.CreateModel(
            name='StoreSecret',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('xml_secret', 'XML road credentials'), ('rest_token_secret', 'REST API token'), ('rest_oauth_secret', 'REST OAuth tokens')], max_length=30)),
                ('document_encrypted', models.TextField(editable=False)),
                ('updated_at', models.DateTimeField(default=django.utils.timezone.now, editable=False)),
                ('store', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='secrets', to='stores.store')),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('store', 'kind'), name='store_secret_unique_kind')],
            },
        ),
        migrations.RunPython(copy_secrets, copy_back),
    ]
