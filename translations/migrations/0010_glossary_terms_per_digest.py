"""Glossary terms may belong to a digest (its additions); every existing term is the newsroom's (no digest).
A term is once in the newsroom's glossary and once per digest, in any case."""

import django.db.models.deletion
import django.db.models.functions.text
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('digests', '0002_first_digest'),
        ('translations', '0009_memory_units_held_until_confirmed'),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='glossaryterm',
            name='glossary_term_unique_any_case',
        ),
        migrations.AddField(
            model_name='glossaryterm',
            name='digest',
            field=models.ForeignKey(blank=True, help_text="Empty: the newsroom's term, used in every digest. A digest: a term of that digest only, which wins over the newsroom's in it.", null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='digests.digest', verbose_name='digest'),
        ),
        migrations.AddConstraint(
            model_name='glossaryterm',
            constraint=models.UniqueConstraint(django.db.models.functions.text.Lower('term'), condition=models.Q(('digest__isnull', True)), name='glossary_term_unique_any_case'),
        ),
        migrations.AddConstraint(
            model_name='glossaryterm',
            constraint=models.UniqueConstraint(django.db.models.functions.text.Lower('term'), models.F('digest'), condition=models.Q(('digest__isnull', False)), name='glossary_term_unique_any_case_per_digest'),
        ),
    ]
