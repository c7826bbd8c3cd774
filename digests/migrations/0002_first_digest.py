"""The first digest, from the settings that described the site's single digest until now."""

from django.conf import settings
from django.db import migrations


def first_digest_create(apps, schema_editor):
    Digest = apps.get_model("digests", "Digest")
    if Digest.objects.exists():
        return
    cross_lists = ("primary_only" if settings.DIGEST_PRIMARY_ONLY
                   else "new_only" if "cross" not in settings.DIGEST_ANNOUNCE_TYPES else "include")
    Digest.objects.create(
        slug=settings.DIGEST_FIRST_SLUG, name=settings.DIGEST_FIRST_NAME, categories=list(settings.DIGEST_CATEGORIES),
        include_keywords=list(settings.DIGEST_INCLUDE_KEYWORDS), exclude_keywords=list(settings.DIGEST_EXCLUDE_KEYWORDS),
        cross_lists=cross_lists, anchor=settings.DIGEST_ANCHOR, time_zone=settings.DIGEST_TIMEZONE,
        export_dir=settings.DIGEST_JEKYLL_POSTS_DIR or "",
    )


class Migration(migrations.Migration):
    dependencies = [("digests", "0001_initial")]
    operations = [migrations.RunPython(first_digest_create, migrations.RunPython.noop)]
