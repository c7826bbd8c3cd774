"""Published papers (and their category rows) carry their day's digest, so each digest's pages read one
index that leads with it: every existing row gets its publication's day's digest."""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def rows_to_their_days_digest(apps, schema_editor):
    Publication = apps.get_model("publishing", "Publication")
    PublishedPaper = apps.get_model("publishing", "PublishedPaper")
    PublishedPaperCategory = apps.get_model("publishing", "PublishedPaperCategory")
    PublishedPaper.objects.filter(digest__isnull=True).update(digest_id=Subquery(
        Publication.objects.filter(pk=OuterRef("publication_id")).values("day__digest_id")[:1]))
    PublishedPaperCategory.objects.filter(digest__isnull=True).update(digest_id=Subquery(
        PublishedPaper.objects.filter(pk=OuterRef("published_paper_id")).values("digest_id")[:1]))


def rows_without_digest(apps, schema_editor):
    pass  # going back drops the columns


def _digest(null: bool):
    return models.ForeignKey(db_index=False, null=null, on_delete=django.db.models.deletion.PROTECT,
                             related_name="+", to="digests.digest")


class Migration(migrations.Migration):
    dependencies = [
        ("digests", "0002_first_digest"),
        ("publishing", "0029_days_belong_to_digests"),
    ]

    operations = [
        migrations.AddField(model_name="publishedpaper", name="digest", field=_digest(null=True)),
        migrations.AddField(model_name="publishedpapercategory", name="digest", field=_digest(null=True)),
        migrations.RunPython(rows_to_their_days_digest, rows_without_digest),
        migrations.AlterField(model_name="publishedpaper", name="digest", field=_digest(null=False)),
        migrations.AlterField(model_name="publishedpapercategory", name="digest", field=_digest(null=False)),
        migrations.RemoveIndex(model_name="publishedpaper", name="published_paper_live_recent"),
        migrations.RemoveIndex(model_name="publishedpapercategory", name="published_category_recent"),
        migrations.AddIndex(
            model_name="publishedpaper",
            index=models.Index(fields=["digest", "live", "-day_date", "position"], name="published_paper_recent"),
        ),
        migrations.AddIndex(
            model_name="publishedpapercategory",
            index=models.Index(fields=["digest", "category", "live", "-day_date", "position", "published_paper"],
                               name="pub_category_digest_recent"),
        ),
    ]
