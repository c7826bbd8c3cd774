"""A failed morning fetch records when the morning job tries it again."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('papers', '0002_arxiv_holiday'),
    ]

    operations = [
        migrations.AddField(
            model_name='fetchrun',
            name='next_try_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='next try'),
        ),
    ]
