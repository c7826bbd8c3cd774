import io
import zipfile
from functools import partial

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.db.models import OuterRef, Subquery
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, pgettext_lazy

from digest_site.admin_mixins import ReadOnlyAdminMixin
from digests.admin import DigestRowsAdminMixin, digest_list_filter
from papers.models import FetchRun
from publishing.days.schedule import workers_status
from publishing.models import (
    DayTransition,
    DigestDay,
    Entry,
    FilteredPaper,
    Publication,
    SourceChange,
)
from publishing.permissions import CHANGE_ENTRY, PUBLISH_DAY
from publishing.posts.export import day_export_markdown, post_filename
from publishing.posts.preview import publication_preview
from publishing.posts.publication import PublishError, day_publish, day_unpublish
from publishing.review.flag_wording import actor_shown, reason_shown, step_shown
from publishing.review.publish_views import (
    day_publish_confirm_view,
    day_unpublish_confirm_view,
    publish_result_message,
    scheduled_publication_cancel_view,
)
from publishing.review.source_changes import newer_versions_of
from publishing.review.views import (
    day_review_view,
    entry_review_view,
    entry_revisions_view,
    post_editing_view,
)
from translations.llm import LLMError
from translations.models import MachineDraft
from translations.services import drafts_past_lease_count, papers_draft_again


def markdown_download(posts: list[tuple[str, bytes]]) -> HttpResponse:
    """One post as its .md file; several as a zip of them."""
    if len(posts) == 1:
        name, data = posts[0]
        response = HttpResponse(data, content_type="text/markdown; charset=utf-8")
    else:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for post_name, data in posts:
                archive.writestr(post_name, data)
        name = f"arxiv-daily-{posts[0][0][:10]}-{posts[-1][0][:10]}.zip"
        response = HttpResponse(buffer.getvalue(), content_type="application/zip")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


class EntryInline(admin.TabularInline):
    model = Entry
    fields = ["position", "paper_link", "kind", "paper_version", "draft_state", "created_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ["position", "id"]

    def get_queryset(self, request):
        latest_draft = MachineDraft.objects.latest_per_paper().filter(paper_id=OuterRef("paper_id"))
        return (
            super()
            .get_queryset(request)
            .select_related("paper")
            .annotate(draft_status=Subquery(latest_draft.values("status")[:1]), draft_id=Subquery(latest_draft.values("id")[:1]))
        )

    @admin.display(description=_("machine draft"))
    def draft_state(self, entry):
        if entry.draft_id is None:
            return _("needs a translation")
        url = reverse("admin:translations_machinedraft_change", args=[entry.draft_id])
        return format_html('<a href="{}">{}</a>', url, MachineDraft.Status(entry.draft_status).label)

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description=_("paper"))
    def paper_link(self, entry):
        url = reverse("admin:publishing_entry_review", args=[entry.pk])
        return format_html('<a href="{}">{}</a> {}', url, entry.paper.arxiv_id, entry.paper.title)


class FilteredPaperInline(admin.TabularInline):
    model = FilteredPaper
    fields = ["paper", "reason", "created_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name_plural = _("papers dropped by the filters")

    def has_add_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("publishing.view_digestday")


class DayWorkFilter(admin.SimpleListFilter):
    """The editors' question: which days still need something from us?"""

    title = _("work to do")
    parameter_name = "work"

    def lookups(self, request, model_admin):
        return [
            ("attention", _("needs attention")),
            ("review", _("entries to review")),
            ("unpublished", _("approved changes not published")),
            ("not_published", _("not published")),
        ]

    def queryset(self, request, queryset):
        if self.value() == "attention":
            return queryset.filter(status=DigestDay.Status.NEEDS_ATTENTION)
        if self.value() == "review":
            return queryset.filter(entries__state__in=Entry.NOT_REVIEWED).distinct()
        if self.value() == "unpublished":
            return queryset.filter(unpublished_changes=True)  # annotated by the admin's queryset
        if self.value() == "not_published":
            return queryset.filter(live_publication__isnull=True)
        return queryset


class DayTransitionInline(admin.TabularInline):
    """Why the day is where it is: every change of its status, newest first."""

    model = DayTransition
    fields = ["at", "from_status", "to_status", "step_shown", "reason_shown", "actor_shown"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ["-at", "-id"]
    verbose_name_plural = _("history of the day's status")

    @admin.display(description=_("step"))
    def step_shown(self, transition):
        return step_shown(transition.step)

    @admin.display(description=_("reason"))
    def reason_shown(self, transition):
        return reason_shown(transition.reason)

    @admin.display(description=_("by"))
    def actor_shown(self, transition):
        return actor_shown(transition.actor)

    def has_add_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        # Part of the day, not a thing of its own: whoever may see the day sees why it is where it is.
        return request.user.has_perm("publishing.view_digestday")


@admin.register(DigestDay)
class DigestDayAdmin(DigestRowsAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    # Days are made and changed by the pipeline (fetch_papers, the schedule, the review
    # and publish services), not by editing rows here.
    list_display = ["date", "digest", "status", "review_link", "progress", "unpublished", "fetched", "kept", "last_fetch",
                    "published"]
    list_filter = [digest_list_filter(), DayWorkFilter, "status", ("date", admin.DateFieldListFilter)]
    date_hierarchy = "date"
    search_fields = ["date", "attention_reason"]
    readonly_fields = [
        "date",
        "digest",
        "window_start",
        "window_end",
        "status",
        "fetched",
        "kept",
        "attention_reason_shown",
        "attention_step_shown",
        "last_collected_at",
        "created_at",
        "fetch_runs",
        "review_link",
        "published",
    ]
    fields = readonly_fields
    inlines = [DayTransitionInline, EntryInline, FilteredPaperInline]
    actions = ["publish_days", "publish_days_approved_only", "unpublish_days", "download_markdown"]

    def get_urls(self):
        review = path("<int:day_id>/review/", self.admin_site.admin_view(partial(day_review_view, self)),
                      name="publishing_digestday_review")
        figures = path("post-editing/", self.admin_site.admin_view(partial(post_editing_view, self)),
                       name="publishing_post_editing")
        confirm = [
            path("<int:day_id>/publish/", self.admin_site.admin_view(partial(day_publish_confirm_view, self)),
                 name="publishing_digestday_publish"),
            path("<int:day_id>/unpublish/", self.admin_site.admin_view(partial(day_unpublish_confirm_view, self)),
                 name="publishing_digestday_unpublish"),
            path("<int:day_id>/cancel-scheduled/",
                 self.admin_site.admin_view(partial(scheduled_publication_cancel_view, self)),
                 name="publishing_digestday_cancel_scheduled"),
        ]
        return [review, figures, *confirm, *super().get_urls()]

    def changelist_view(self, request, extra_context=None):
        # Whoever looks at the days is told when no worker cluster runs and when drafts wait past
        # their lease. Looking changes nothing: the watchdog deals with them on its schedule and
        # in the commands (translate_day, digest_status, run_daily).
        if request.method == "GET":
            workers = workers_status()
            if workers.alive is False:
                # In the editor's words; `workers.message` is the English the commands and checks print.
                self.message_user(request, _(
                    "Workers: no worker cluster has run its schedule since %(since)s (site time): start "
                    "`manage.py qcluster`."
                ) % {"since": timezone.localtime(workers.last_beat).strftime("%Y-%m-%d %H:%M")}, messages.WARNING)
            stuck = drafts_past_lease_count()
            if stuck:
                self.message_user(request, ngettext(
                    "%(count)d machine draft is past its lease: the watchdog will hand it out again or fail it with the reason.",
                    "%(count)d machine drafts are past their lease: the watchdog will hand them out again or fail them with the reason.",
                    stuck) % {"count": stuck}, messages.WARNING)
        return super().changelist_view(request, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        day = self.get_object(request, object_id)
        if request.method == "GET" and day is not None:
            published = newer_versions_of(day)["published"]
            if published:
                self.message_user(request, ngettext(
                    "%(count)d published paper has a newer version on arXiv: see the day's review page.",
                    "%(count)d published papers have newer versions on arXiv: see the day's review page.",
                    len(published)) % {"count": len(published)}, messages.WARNING)
        return super().change_view(request, object_id, form_url, extra_context)

    def has_publish_permission(self, request):
        return request.user.has_perm(PUBLISH_DAY)

    def _confirmed(self, request, queryset, *, action: str, approved_only: bool = False):
        """Django's pattern for actions that need a look first (as delete_selected does): the first
        POST shows what readers will get for each day; the second, with post=yes, does it."""
        days = list(queryset.select_related("live_publication").defer("live_publication__markdown",
                                                                       "live_publication__html").order_by("date"))
        if request.POST.get("post") == "yes":
            return None
        previews = [publication_preview(day=day, approved_only=approved_only) for day in days] \
            if action != "unpublish_days" else []
        return TemplateResponse(request, "admin/publishing/days_action_confirm.html", {
            **self.admin_site.each_context(request),
            "title": _("Are you sure?"),
            "opts": self.model._meta,
            "days": days,
            "previews": previews,
            "action": action,
            "unpublish": action == "unpublish_days",
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        })

    def _publish(self, request, queryset, *, action: str, approved_only: bool):
        confirmation = self._confirmed(request, queryset, action=action, approved_only=approved_only)
        if confirmation is not None:
            return confirmation
        for day in queryset.order_by("date"):
            try:
                # Exactly what the confirmation showed for this day (its hash), or nothing.
                result = day_publish(day=day, user=request.user, approved_only=approved_only,
                                     expected_hash=request.POST.get(f"hash-{day.pk}", ""))
            except PublishError as exc:
                self.message_user(request, exc.shown, messages.ERROR)
                continue
            self.message_user(request, f"{day.date}: {publish_result_message(result)}", messages.SUCCESS)
        return None

    # The permission is checked twice: Django hides and refuses the action, and the
    # publish service refuses any user without it (a crafted request gets nowhere).
    @admin.action(description=_("Publish (every entry reviewed)…"), permissions=["publish"])
    def publish_days(self, request, queryset):
        return self._publish(request, queryset, action="publish_days", approved_only=False)

    @admin.action(description=_("Publish the approved entries only…"), permissions=["publish"])
    def publish_days_approved_only(self, request, queryset):
        return self._publish(request, queryset, action="publish_days_approved_only", approved_only=True)

    @admin.action(description=_("Unpublish (hide from readers)…"), permissions=["publish"])
    def unpublish_days(self, request, queryset):
        confirmation = self._confirmed(request, queryset, action="unpublish_days")
        if confirmation is not None:
            return confirmation
        for day in queryset.order_by("date"):
            try:
                day_unpublish(day=day, user=request.user)
            except PublishError as exc:
                self.message_user(request, exc.shown, messages.ERROR)
            else:
                self.message_user(request, _("%(date)s: unpublished.") % {"date": day.date}, messages.SUCCESS)
        return None

    @admin.action(description=_("Download markdown (published, else approved entries)"))
    def download_markdown(self, request, queryset):
        posts = []
        for day in queryset.select_related("live_publication").order_by("date"):
            markdown = day_export_markdown(day, include_unpublished=True)
            if markdown is None:
                self.message_user(request, _("%(date)s has no approved entries; not in the download.") % {"date": day.date},
                                  messages.WARNING)
            else:
                posts.append((post_filename(day.date), markdown.encode("utf-8")))
        if not posts:
            return None
        return markdown_download(posts)

    @admin.display(description=pgettext_lazy("digest day's live version", "published"))
    def published(self, day):
        if day.live_publication_id is None:
            return "—"
        url = reverse("public:day", args=[day.date])
        return format_html('<a href="{}">{}</a>', url, _("version %(version)s, public page") % {
            "version": day.live_publication.version})

    @admin.display(description=_("needs attention because"))
    def attention_reason_shown(self, day):
        return reason_shown(day.attention_reason)

    @admin.display(description=_("flagged by step"))
    def attention_step_shown(self, day):
        return step_shown(day.attention_step)

    @admin.display(description=_("review"))
    def review_link(self, day):
        return format_html('<a href="{}">{}</a>', reverse("admin:publishing_digestday_review", args=[day.pk]), _("Review this day"))

    def get_queryset(self, request):
        latest_run = FetchRun.objects.filter(digest_date=OuterRef("date")).order_by("-started_at", "-id")
        return (
            super()
            .get_queryset(request)
            .with_counts()
            .with_progress()
            .select_related("live_publication", "digest")
            .defer("live_publication__markdown", "live_publication__html")
            .annotate(last_fetch_status=Subquery(latest_run.values("status")[:1]))
        )


    @admin.display(description=_("progress"))
    def progress(self, day):
        reviewed = day.approved + day.rejected
        parts = [_("%(done)d of %(total)d reviewed") % {"done": reviewed, "total": day.kept}]
        for count, label in ((day.approved, _("approved")), (day.rejected, _("rejected")),
                             (day.reviewing, _("in review")), (day.awaiting, _("awaiting draft"))):
            if count:
                parts.append(f"{count} {label}")
        return " · ".join(str(part) for part in parts)

    @admin.display(description=_("unpublished changes"), boolean=False)
    def unpublished(self, day):
        if not day.unpublished_changes:
            return "—"
        url = reverse("admin:publishing_digestday_publish", args=[day.pk]) + "?approved_only=1"
        return format_html('<a href="{}">{}</a>', url, _("yes: see what changed"))

    @admin.display(description=_("fetched"), ordering="fetched")
    def fetched(self, day):
        return day.fetched

    @admin.display(description=_("kept"), ordering="kept")
    def kept(self, day):
        return day.kept

    @admin.display(description=_("last fetch"), ordering="last_fetch_status")
    def last_fetch(self, day):
        return FetchRun.Status(day.last_fetch_status).label if day.last_fetch_status else "—"

    @admin.display(description=_("fetch runs"))
    def fetch_runs(self, day):
        url = reverse("admin:papers_fetchrun_changelist") + f"?digest_date={day.date:%Y-%m-%d}"
        return format_html('<a href="{}">{}</a>', url, _("All fetches of this day"))


@admin.register(Entry)
class EntryAdmin(DigestRowsAdminMixin, admin.ModelAdmin):
    list_display = ["day", "digest", "position", "paper", "kind", "state", "approved_by", "review_link"]
    list_filter = [digest_list_filter(), "state", "kind", ("day__date", admin.DateFieldListFilter)]
    list_select_related = ["day", "digest", "paper"]
    # The last three are aliased by EntryQuerySet.with_search_text (see get_search_results).
    search_fields = ["paper__arxiv_id", "paper__title", "current_title_zh", "current_abstract_zh", "authors_text"]
    search_help_text = _("arXiv id, English title, current Chinese title or abstract, authors and affiliations")
    readonly_fields = ["day", "digest", "paper", "paper_version", "kind", "position", "created_at", "state", "approved_by",
                       "approved_at", "approved_revision", "editor_note"]
    actions = ["draft_again"]

    def get_search_results(self, request, queryset, search_term):
        if search_term:
            queryset = queryset.with_search_text()
        return super().get_search_results(request, queryset, search_term)

    def has_draft_again_permission(self, request):
        return request.user.has_perm(CHANGE_ENTRY)

    @admin.action(description=_("Draft again (a new machine draft beside the current text)"), permissions=["draft_again"])
    def draft_again(self, request, queryset):
        try:
            queued = papers_draft_again(papers=[entry.paper for entry in queryset.select_related("paper")])
        except LLMError as exc:
            self.message_user(request, exc.shown, messages.ERROR)
            return
        self.message_user(request, _("%(count)d papers queued for drafting.") % {"count": queued})

    def get_urls(self):
        views = [
            path("<int:entry_id>/review/", self.admin_site.admin_view(partial(entry_review_view, self)),
                 name="publishing_entry_review"),
            path("<int:entry_id>/revisions/", self.admin_site.admin_view(partial(entry_revisions_view, self)),
                 name="publishing_entry_revisions"),
        ]
        return views + super().get_urls()

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # Editors work on the review page; the plain change form would bypass revisions.
        entry = self.get_object(request, object_id)
        if entry is None:  # the id names no entry (or no key could hold it): Django's "does not exist"
            return super().change_view(request, object_id, form_url, extra_context)
        return redirect("admin:publishing_entry_review", entry.pk)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("review"))
    def review_link(self, entry):
        return format_html('<a href="{}">{}</a>', reverse("admin:publishing_entry_review", args=[entry.pk]), _("Review"))


@admin.register(Publication)
class PublicationAdmin(DigestRowsAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """Every version ever published, as it was: read-only."""

    digest_field = "day__digest"
    list_display = ["day", "digest_name", "version", "paper_count", "published_by_name", "published_at", "is_live", "markdown_link"]
    list_filter = [digest_list_filter("day__digest"), ("day__date", admin.DateFieldListFilter)]
    list_select_related = ["day__digest"]
    fields = ["day", "version", "paper_count", "published_by_name", "published_at", "content_hash", "markdown_link",
              "markdown"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).defer("html")

    def get_urls(self):
        download = path("<int:publication_id>/markdown/", self.admin_site.admin_view(self.markdown_view),
                        name="publishing_publication_markdown")
        return [download, *super().get_urls()]

    def markdown_view(self, request, publication_id):
        if not self.has_view_permission(request):
            raise PermissionDenied
        publication = get_object_or_404(Publication.objects.select_related("day"), pk=publication_id)
        if not self.has_view_permission(request, publication):  # another digest's
            raise PermissionDenied
        name = post_filename(publication.day.date).replace(".md", f"-v{publication.version}.md")
        return markdown_download([(name, publication.markdown.encode("utf-8"))])

    @admin.display(description=_("digest"), ordering="day__digest__name")
    def digest_name(self, publication):
        return publication.day.digest.name

    @admin.display(description=_("live"), boolean=True)
    def is_live(self, publication):
        return publication.day.live_publication_id == publication.pk

    @admin.display(description=_("markdown"))
    def markdown_link(self, publication):
        url = reverse("admin:publishing_publication_markdown", args=[publication.pk])
        return format_html('<a href="{}">{}</a>', url, _("Download"))



@admin.register(SourceChange)
class SourceChangeAdmin(DigestRowsAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """Newer arXiv versions of approved or published papers; dealt with on each entry's review page."""

    digest_field = "entry__digest"
    list_display = ["entry_link", "old_version", "new_version", "changed_fields", "was_published", "detected_at",
                    "resolved_at", "resolution"]
    list_filter = [digest_list_filter("entry__digest"), ("resolved_at", admin.EmptyFieldListFilter), "was_published",
                   "resolution"]
    list_select_related = ["entry__paper", "entry__day"]
    search_fields = ["entry__paper__arxiv_id", "new_title"]
    date_hierarchy = "detected_at"

    @admin.display(description=_("entry"), ordering="entry__paper__arxiv_id")
    def entry_link(self, change):
        return format_html('<a href="{}">{} ({})</a>', reverse("admin:publishing_entry_review", args=[change.entry_id]),
                           change.entry.paper.arxiv_id, change.entry.day.date)
