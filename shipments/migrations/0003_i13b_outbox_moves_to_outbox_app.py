"""OutboxMessage moves to the outbox app (issue 13): state only, the table shipments_outboxmessage stays."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('shipments', '0002_i13b_outbox_ref'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name='OutboxMessage')],
            database_operations=[],
        ),
    ]
