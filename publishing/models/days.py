"""Digest days: a date's window, what its fetches found and kept, and where its pipeline stands."""

import datetime as dt
import functools
import operator
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import connection, models
from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from digest_site.transitions import Transitions
from digests.models import home_digest_id
from publishing.days.windows import current_digest_date

if TYPE_CHECKING:
    from publishing.models.publications import Publication


class DigestDayQuerySet(models.QuerySet):
    def with_counts(self) -> "DigestDayQuerySet":
        """Annotate `kept` (the day's entries) and `fetched` (entries plus papers its filters dropped)."""
        kept = models.Count("entries", distinct=True)
        # Papers a new archive's first fetch recorded as before the archive began are not the day's:
        # they belong to days the archive does not have.
        filtered = models.Count("filtered_papers", filter=Q(filtered_papers__before_archive=False), distinct=True)
        return self.annotate(kept=kept, filtered=filtered, fetched=kept + filtered)

    def with_progress(self) -> "DigestDayQuerySet":
        """Annotate the entries by review state (`awaiting`, `reviewing`, `approved`, `rejected`) and
        `unpublished_changes`: a published day whose entries differ from what readers see (approved
        after the live version was published, or in the live version but no longer approved)."""
        by_state = {
            name: models.Count("entries", filter=Q(entries__state=state), distinct=True)
            for name, state in (("awaiting", "awaiting_draft"), ("reviewing", "in_review"),
                                ("approved", "approved"), ("rejected", "rejected"))
        }
        from publishing.models.entries import Entry
        from publishing.models.publications import PublishedPaper

        live_row = PublishedPaper.objects.filter(publication_id=models.OuterRef(models.OuterRef("live_publication_id")),
                                                 paper_id=models.OuterRef("paper_id"))
        changed = Entry.objects.filter(day=models.OuterRef("pk")).filter(
            Q(state="approved", approved_at__gt=models.OuterRef("live_publication__published_at"))
            | (~Q(state="approved") & models.Exists(live_row))
        )
        return self.annotate(**by_state, unpublished_changes=models.Q(live_publication__isnull=False)
                             & models.Exists(changed))

    def public(self, digest) -> "DigestDayQuerySet":
        """Days of `digest` readers may see: with a live publication, dated today or earlier (in the digest's
        own time zone).

        The one statement of the rule; every page, feed, sitemap, search and export reads through it
        (and `public_summary`, its hand-written form for the day page's hot path). The digest is required:
        a page shows one digest, never a mix.
        """
        return self.filter(digest=digest, live_publication__isnull=False, date__lte=digest_today(digest))

    def public_in_every_digest(self, digests=None) -> "DigestDayQuerySet":
        """`public()` of each digest (each by its own today), for the jobs that look at them all; never a page's."""
        if digests is None:
            from digests.models import Digest

            digests = Digest.objects.all()
        return functools.reduce(operator.or_, (self.public(digest) for digest in digests), self.none())

    def published_ahead_now_public(self, *, look_back_days: int = 7) -> list["Publication"]:
        """The live versions of public days of the last `look_back_days` (in every digest) that were published
        before their date began. Channels hold back a day not yet public (its link would not open); these are
        the ones whose date has come since."""
        today = current_digest_date()
        days = (self.public_in_every_digest().filter(date__gte=today - dt.timedelta(days=look_back_days))
                .select_related("live_publication__day", "digest"))
        return [day.live_publication for day in days
                if day.live_publication.published_at.astimezone(day.digest.tz).date() < day.date]

    def public_summary(self, digest, date: dt.date) -> tuple[int, str, dt.datetime, tuple] | None:
        """For a public day of `digest`: its live publication (id, content hash, time) and the digest's public
        dates before and after.

        The `public()` rule written as one plain query: the ORM form with two subqueries cost more
        to compile than the rest of a cached day page (see bench/public.py). None: not public.
        """
        today = digest_today(digest)
        with connection.cursor() as cursor:
            cursor.execute(_public_day_summary_sql(), [today, digest.pk, date, today])
            row = cursor.fetchone()
        if row is None:
            return None
        publication_id, content_hash, published_at, previous_date, next_date = row
        if isinstance(published_at, str):  # SQLite hands back text
            published_at = parse_datetime(published_at)
        if timezone.is_naive(published_at):
            published_at = timezone.make_aware(published_at, dt.timezone.utc)
        return publication_id, content_hash, published_at, (_as_date(previous_date), _as_date(next_date))


def digest_today(digest) -> dt.date:
    """Today's date in the digest's own time zone: the last date its readers may see."""
    return current_digest_date(tz=digest.tz)


def _public_day_summary_sql() -> str:
    from publishing.models.publications import Publication

    return _PUBLIC_DAY_SUMMARY_SQL.format(day=DigestDay._meta.db_table, publication=Publication._meta.db_table)


_PUBLIC_DAY_SUMMARY_SQL = """
SELECT p.id, p.content_hash, p.published_at,
       (SELECT max(o.date) FROM {day} o
        WHERE o.digest_id = d.digest_id AND o.live_publication_id IS NOT NULL AND o.date < d.date),
       (SELECT min(o.date) FROM {day} o
        WHERE o.digest_id = d.digest_id AND o.live_publication_id IS NOT NULL AND o.date > d.date AND o.date <= %s)
FROM {day} d JOIN {publication} p ON p.id = d.live_publication_id
WHERE d.digest_id = %s AND d.date = %s AND d.date <= %s
"""


def _as_date(value) -> dt.date | None:
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


class DigestDay(models.Model):
    """One digest date: its time window, what its fetches found, and where its pipeline stands."""

    class Status(models.TextChoices):
        COLLECTING = "collecting", _("collecting")
        DRAFTING = "drafting", _("drafting")
        IN_REVIEW = "in_review", _("in review")
        PUBLISHED = "published", pgettext_lazy("digest day status", "published")
        NEEDS_ATTENTION = "needs_attention", _("needs attention")

    # The only moves a day makes, made by publishing.days.services. A step that fails or a feed
    # that looks stale sends the day to needs_attention; fixing it sends it back.
    TRANSITIONS = Transitions(field="status", owners=("publishing.days.services",), table={
        Status.COLLECTING: {Status.DRAFTING, Status.NEEDS_ATTENTION},
        Status.DRAFTING: {Status.IN_REVIEW, Status.NEEDS_ATTENTION},
        # Back to drafting when late papers arrive or an editor asks for new drafts.
        Status.IN_REVIEW: {Status.PUBLISHED, Status.NEEDS_ATTENTION, Status.DRAFTING},
        Status.PUBLISHED: {Status.IN_REVIEW},
        Status.NEEDS_ATTENTION: {Status.COLLECTING, Status.DRAFTING, Status.IN_REVIEW},
    })
    # Days a fetch may still add papers to.
    OPEN_FOR_COLLECTION = {Status.COLLECTING, Status.DRAFTING, Status.IN_REVIEW, Status.NEEDS_ATTENTION}

    digest = models.ForeignKey("digests.Digest", verbose_name=_("digest"), on_delete=models.PROTECT,
                               related_name="days", default=home_digest_id)
    date = models.DateField(_("date"))
    window_start = models.DateTimeField(_("window start"))
    window_end = models.DateTimeField(_("window end"))
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.COLLECTING)
    attention_reason = models.TextField(_("needs attention because"), blank=True)
    # The pipeline step that raised the flag, and the status to return to once it is cleared.
    attention_step = models.CharField(_("flagged by step"), max_length=20, blank=True)
    status_before_attention = models.CharField(max_length=20, choices=Status.choices, blank=True, editable=False)
    last_collected_at = models.DateTimeField(_("last collected"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    # The version readers see; empty while the day is not published (never, or unpublished).
    live_publication = models.ForeignKey(
        "Publication", verbose_name=_("live publication"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+", editable=False,
    )

    objects = DigestDayQuerySet.as_manager()

    class Meta:
        verbose_name = _("digest day")
        verbose_name_plural = _("digest days")
        ordering = ["-date", "digest"]
        permissions = [("publish_day", _("Can publish and unpublish days"))]
        constraints = [models.UniqueConstraint(fields=["digest", "date"], name="day_once_per_digest_and_date")]

    def __str__(self) -> str:
        # The day as the newsroom names it, in the editor's language ("2026-01-09 日报"); readers see `post_title`.
        return _("%(date)s digest") % {"date": f"{self.date:%Y-%m-%d}"}

    @property
    def post_title(self) -> str:
        """The post's title as readers know it (the feeds, the day page, the exported markdown)."""
        return self.digest.post_title(self.date)

    @property
    def is_public(self) -> bool:
        """`DigestDayQuerySet.public()`'s rule for a row already in hand."""
        return self.live_publication_id is not None and self.date <= digest_today(self.digest)


class DayTransitionQuerySet(models.QuerySet):
    def flags(self) -> "DayTransitionQuerySet":
        """The flags' history, newest first: each flag raised (or raised again for another reason), and its clearing."""
        attention = DigestDay.Status.NEEDS_ATTENTION
        return self.filter(Q(to_status=attention) | Q(from_status=attention)).order_by("-at", "-id")


class DayTransition(models.Model):
    """One change of a day's status (or of why it is flagged): from, to, the step and reason, who or which job, when."""

    day = models.ForeignKey(DigestDay, verbose_name=_("day"), on_delete=models.CASCADE, related_name="transitions")
    # Empty for the day's creation.
    from_status = models.CharField(_("from"), max_length=20, choices=DigestDay.Status.choices, blank=True)
    to_status = models.CharField(_("to"), max_length=20, choices=DigestDay.Status.choices)
    step = models.CharField(_("step"), max_length=20, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    # The user's name, or the job that moved the day ("run_daily (schedule)", "fetch_papers (shell:ana)").
    actor = models.CharField(_("by"), max_length=150)
    at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)

    objects = DayTransitionQuerySet.as_manager()

    class Meta:
        verbose_name = _("day transition")
        verbose_name_plural = _("day transitions")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.day.date}: {self.get_from_status_display() or '—'} → {self.get_to_status_display()}"


class FilteredPaper(models.Model):
    """A paper new to the digest that a day's filters dropped (keywords, primary-only, announce type),
    or that a new archive's first fetch found announced before the archive began.

    Recorded once, so the paper counts as fetched for that day only and editors can
    see what the filters dropped; like an entry, it is not offered to later days.
    A paper before the archive began counts for no day (it belongs to days the archive
    does not have); it is held at its version like an entry, so a later revision can
    re-enter as a replacement, and `fetch_papers --backfill` gives it to its day.
    """

    day = models.ForeignKey(DigestDay, verbose_name=_("day"), on_delete=models.CASCADE, related_name="filtered_papers")
    # The day's digest, kept on the row so the database can hold a paper once per digest.
    digest = models.ForeignKey("digests.Digest", verbose_name=_("digest"), on_delete=models.PROTECT, related_name="+")
    paper = models.ForeignKey(
        "papers.Paper", verbose_name=_("paper"), on_delete=models.PROTECT, related_name="filtered_from"
    )
    # The version the fetch saw (empty on rows recorded before it was kept).
    paper_version = models.PositiveIntegerField(_("paper version"), null=True, blank=True)
    before_archive = models.BooleanField(
        _("before the archive began"), default=False,
        help_text=_("Announced before the first announcement a new archive's first day took"),
    )
    reason = models.CharField(_("reason"), max_length=255)
    created_at = models.DateTimeField(_("filtered at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("filtered-out paper")
        verbose_name_plural = _("filtered-out papers")
        ordering = ["day", "id"]
        constraints = [models.UniqueConstraint(fields=["digest", "paper"], name="filtered_paper_once_per_digest")]

    def save(self, *args, **kwargs) -> None:
        if self.digest_id is None and self.day_id is not None:
            self.digest_id = DigestDay.objects.values_list("digest_id", flat=True).get(pk=self.day_id)
        super().save(*args, **kwargs)

    def __str__(self) -> str:
        return f"{self.day.date} {self.paper.arxiv_id}: {self.reason}"
