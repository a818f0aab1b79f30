"""CarrierAccount moves to the carriers app (issue 29): state only, the table tracking_carrieraccount stays
and so does the foreign key of ShipmentTracking.account, which now names carriers.CarrierAccount."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('carriers', '0001_i29x_carrier_account_moves'),
        ('tracking', '0002_tracking_state_returned'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='shipmenttracking',
                    name='account',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='trackings', to='carriers.carrieraccount'),
                ),
                migrations.DeleteModel(name='CarrierAccount'),
            ],
            database_operations=[],
        ),
    ]
