from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0003_cache_tables"),
    ]

    operations = [
        migrations.DeleteModel(name="ContentVersion"),
    ]
