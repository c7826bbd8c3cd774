from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from digests.models import Digest


@admin.register(Digest)
class DigestAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "categories_text", "anchor", "time_zone", "position"]
    list_editable = ["position"]
    prepopulated_fields = {"slug": ["name"]}
    fieldsets = [
        (None, {"fields": ["name", "slug", "description", "position"]}),
        (_("Papers"), {"fields": ["categories", "cross_lists", "include_keywords", "exclude_keywords"]}),
        (_("Days and posts"), {"fields": ["anchor", "time_zone", "title_pattern", "export_dir"]}),
    ]

    @admin.display(description=_("arXiv categories"))
    def categories_text(self, digest: Digest) -> str:
        return ", ".join(digest.categories)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # a digest's days and readers depend on it; one is retired, not deleted
