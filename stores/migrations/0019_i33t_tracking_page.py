# Issue 33 (tracking page): each store's public tracking address, the "estimated delivery changed" e-mail
# switch and the buyer e-mails' language. Depends on 0017 on purpose (another branch adds 0018; renumbered
# at merge).

import secrets

import stores.models
from django.db import migrations, models
from django.utils.text import slugify


def fill_slugs(apps, schema_editor):
    Store = apps.get_model("stores", "Store")
    taken = set()
    for store in Store.objects.filter(tracking_slug__isnull=True).only("pk", "name"):
        base = slugify(store.name)[:40].strip("-") or "store"
        slug = f"{base}-{secrets.token_hex(2)}"
        while slug in taken:
            slug = f"{base}-{secrets.token_hex(2)}"
        taken.add(slug)
        Store.objects.filter(pk=store.pk).update(tracking_slug=slug)


class Migration(migrations.Migration):
    dependencies = [
        ("stores", "0018_i29b_tenant_daily_label_limit"),
    ]

    operations = [
        migrations.AddField(
            model_name="store",
            name="tracking_slug",
            field=models.SlugField(blank=True, max_length=60, null=True, unique=True),
        ),
        migrations.RunPython(fill_slugs, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="store",
            name="tracking_slug",
            field=models.SlugField(
                blank=True, default=stores.models.new_tracking_slug, max_length=60, null=True, unique=True
            ),
        ),
        migrations.AddField(
            model_name="storesettings",
            name="buyer_language",
            field=models.CharField(
                choices=[("en", "English"), ("fr", "Français")],
                default="en",
                max_length=5,
                verbose_name="language of buyer e-mails",
            ),
        ),
        migrations.AddField(
            model_name="storesettings",
            name="send_estimated_delivery",
            field=models.BooleanField(default=False, verbose_name="estimated delivery changed e-mails"),
        ),
    ]
