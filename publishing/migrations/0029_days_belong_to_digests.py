"""Days, entries and filtered papers belong to a digest: every existing row to the first digest (made by
digests 0002 from the settings), a date once per digest, a paper once per digest."""

import django.db.models.deletion
from django.db import migrations, models

import digests.models


def rows_to_first_digest(apps, schema_editor):
    Digest = apps.get_model("digests", "Digest")
    first = Digest.objects.order_by("pk").first()
    if first is None:  # no digest yet and no rows to give one: the first is made when it is needed
        return
    for name in ("DigestDay", "Entry", "FilteredPaper"):
        apps.get_model("publishing", name).objects.filter(digest__isnull=True).update(digest=first)


def rows_without_digest(apps, schema_editor):
    pass  # going back drops the column


class Migration(migrations.Migration):
    dependencies = [
        ("digests", "0002_first_digest"),
        ("publishing", "0028_search_vector_by_trigger"),
    ]

    operations = [
        migrations.AddField(
            model_name="digestday", name="digest",
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name="days",
                                    to="digests.digest", verbose_name="digest"),
        ),
        migrations.AddField(
            model_name="entry", name="digest",
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+",
                                    to="digests.digest", verbose_name="digest"),
        ),
        migrations.AddField(
            model_name="filteredpaper", name="digest",
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+",
                                    to="digests.digest", verbose_name="digest"),
        ),
        migrations.RunPython(rows_to_first_digest, rows_without_digest),
        migrations.AlterField(
            model_name="digestday", name="digest",
            field=models.ForeignKey(default=digests.models.home_digest_id, on_delete=django.db.models.deletion.PROTECT,
                                    related_name="days", to="digests.digest", verbose_name="digest"),
        ),
        migrations.AlterField(
            model_name="entry", name="digest",
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+",
                                    to="digests.digest", verbose_name="digest"),
        ),
        migrations.AlterField(
            model_name="filteredpaper", name="digest",
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+",
                                    to="digests.digest", verbose_name="digest"),
        ),
        migrations.AlterModelOptions(
            name="digestday",
            options={"ordering": ["-date", "digest"], "permissions": [("publish_day", "Can publish and unpublish days")],
                     "verbose_name": "digest day", "verbose_name_plural": "digest days"},
        ),
        migrations.RemoveConstraint(model_name="entry", name="entry_paper_version_once"),
        migrations.RemoveConstraint(model_name="entry", name="entry_paper_first_appearance_once"),
        migrations.AlterField(model_name="digestday", name="date", field=models.DateField(verbose_name="date")),
        migrations.AlterField(
            model_name="filteredpaper", name="paper",
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="filtered_from",
                                    to="papers.paper", verbose_name="paper"),
        ),
        migrations.AddConstraint(
            model_name="digestday",
            constraint=models.UniqueConstraint(fields=("digest", "date"), name="day_once_per_digest_and_date"),
        ),
        migrations.AddConstraint(
            model_name="entry",
            constraint=models.UniqueConstraint(fields=("digest", "paper", "paper_version"),
                                               name="entry_paper_version_once"),
        ),
        migrations.AddConstraint(
            model_name="entry",
            constraint=models.UniqueConstraint(condition=models.Q(("kind__in", ["new", "cross"])),
                                               fields=("digest", "paper"), name="entry_paper_first_appearance_once"),
        ),
        migrations.AddConstraint(
            model_name="filteredpaper",
            constraint=models.UniqueConstraint(fields=("digest", "paper"), name="filtered_paper_once_per_digest"),
        ),
    ]
