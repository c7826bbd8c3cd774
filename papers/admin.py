from django.contrib import admin
from django.utils import formats
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from digest_site.admin_mixins import ReadOnlyAdminMixin
from papers.announcements import stale_feed_warning_shown
from papers.models import ArxivHoliday, FetchRun, Paper


class CategoryListFilter(admin.SimpleListFilter):
    """Any listed category, primary or cross-list (the editor's "what came in under cs.SD?")."""

    title = _("category")
    parameter_name = "category"

    def lookups(self, request, model_admin):
        from django.conf import settings

        return [(category, category) for category in settings.DIGEST_CATEGORIES]

    def queryset(self, request, queryset):
        return queryset.in_category(self.value()) if self.value() else queryset


@admin.register(Paper)
class PaperAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    # Papers are what arXiv gave us, stored by fetches: shown, never typed in or edited here
    # (a later fetch would silently undo an edit).
    list_display = ["versioned_id", "title", "category_list", "published"]
    list_filter = [CategoryListFilter, "primary_category", ("published", admin.DateFieldListFilter)]
    search_fields = ["arxiv_id", "title", "abstract", "authors"]
    date_hierarchy = "published"
    ordering = ["-published"]
    readonly_fields = ["links", "author_list", "category_list", "other_class_list"]
    fieldsets = [
        (None, {"fields": ["arxiv_id", "version", "links", "title", "author_list", "abstract"]}),
        (_("Classification"), {"fields": ["primary_category", "category_list", "other_class_list"]}),
        (_("Bibliographic"), {"fields": ["comment", "journal_ref", "doi", "license", "published", "updated"]}),
        (_("Record"), {"fields": ["first_seen_at", "last_changed_at", "last_changed_by_run"]}),
    ]


    @admin.display(description=_("arXiv id"), ordering="arxiv_id")
    def versioned_id(self, paper):
        return paper.versioned_id

    @admin.display(description=_("categories"), ordering="primary_category")
    def category_list(self, paper):
        return ", ".join(paper.categories)

    @admin.display(description=_("other classes"))
    def other_class_list(self, paper):
        return ", ".join(paper.other_classes) or "—"

    @admin.display(description=_("links"))
    def links(self, paper):
        return format_html(
            '<a href="{}" target="_blank" rel="noopener">arXiv {}</a> · <a href="{}" target="_blank" rel="noopener">PDF</a>',
            paper.abs_url,
            paper.versioned_id,
            paper.pdf_url,
        )

    @admin.display(description=_("authors"))
    def author_list(self, paper):
        return format_html_join(
            ", ",
            "{}{}",
            (
                (author["name"], f" ({'; '.join(author['affiliations'])})" if author.get("affiliations") else "")
                for author in paper.authors
            ),
        )


@admin.register(FetchRun)
class FetchRunAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "digest_date",
        "source",
        "status",
        "fetched",
        "kept",
        "duplicates",
        "filtered_out",
        "outside_window",
        "has_warning",
        "started_at",
        "finished_at",
        "next_try_at",
    ]
    list_filter = ["status", "source", ("digest_date", admin.DateFieldListFilter)]
    search_fields = ["error", "warning", "source_detail"]
    date_hierarchy = "digest_date"

    def get_readonly_fields(self, request, obj=None):
        # An audit record: shown, never edited.
        return [field.name for field in self.model._meta.fields] + ["warning_shown"]

    def get_fields(self, request, obj=None):
        # The warning in the editor's language, where the stored one would be.
        return [name if name != "warning" else "warning_shown" for name in self.get_readonly_fields(request, obj)
                if name != "warning_shown"]

    @admin.display(description=_("warning"))
    def warning_shown(self, run):
        """Each line of the warning: the stale-feed check's in the editor's language, the others as written."""
        return "\n".join(stale_feed_warning_shown(line) or line for line in run.warning.splitlines())

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("warning"), boolean=True)
    def has_warning(self, run):
        return bool(run.warning)


@admin.register(ArxivHoliday)
class ArxivHolidayAdmin(admin.ModelAdmin):
    list_display = ["date", "weekday", "note"]
    search_fields = ["note"]
    date_hierarchy = "date"

    @admin.display(description=_("weekday"), ordering="date")
    def weekday(self, holiday):
        return formats.date_format(holiday.date, "l")
