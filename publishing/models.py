import datetime as dt

from django.conf import settings
from django.db import connection, models
from django.db.models import Func, OuterRef, Q, Subquery, TextField
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from publishing.days.windows import current_digest_date, digest_timezone
from translations.models import Revision


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
        live_row = PublishedPaper.objects.filter(publication_id=models.OuterRef(models.OuterRef("live_publication_id")),
                                                 paper_id=models.OuterRef("paper_id"))
        changed = Entry.objects.filter(day=models.OuterRef("pk")).filter(
            Q(state="approved", approved_at__gt=models.OuterRef("live_publication__published_at"))
            | (~Q(state="approved") & models.Exists(live_row))
        )
        return self.annotate(**by_state, unpublished_changes=models.Q(live_publication__isnull=False)
                             & models.Exists(changed))

    def public(self) -> "DigestDayQuerySet":
        """Days readers may see: with a live publication, dated today or earlier (in the digest's time zone).

        The one statement of the rule; every page, feed, sitemap, search and export reads through it
        (and `public_summary`, its hand-written form for the day page's hot path).
        """
        return self.filter(live_publication__isnull=False, date__lte=current_digest_date())

    def published_ahead_now_public(self, *, look_back_days: int = 7) -> list["Publication"]:
        """The live versions of public days of the last `look_back_days` that were published before their
        date began. Channels hold back a day not yet public (its link would not open); these are the
        ones whose date has come since."""
        today = current_digest_date()
        days = (self.public().filter(date__gte=today - dt.timedelta(days=look_back_days))
                .select_related("live_publication__day"))
        return [day.live_publication for day in days
                if day.live_publication.published_at.astimezone(digest_timezone()).date() < day.date]

    def public_summary(self, date: dt.date) -> tuple[int, str, dt.datetime, tuple] | None:
        """For a public day: its live publication (id, content hash, time) and the public dates before and after.

        The `public()` rule written as one plain query: the ORM form with two subqueries cost more
        to compile than the rest of a cached day page (see bench/public.py). None: not public.
        """
        today = current_digest_date()
        with connection.cursor() as cursor:
            cursor.execute(_PUBLIC_DAY_SUMMARY_SQL, [today, date, today])
            row = cursor.fetchone()
        if row is None:
            return None
        publication_id, content_hash, published_at, previous_date, next_date = row
        if isinstance(published_at, str):  # SQLite hands back text
            published_at = parse_datetime(published_at)
        if timezone.is_naive(published_at):
            published_at = timezone.make_aware(published_at, dt.timezone.utc)
        return publication_id, content_hash, published_at, (_as_date(previous_date), _as_date(next_date))


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

    # The only moves a day makes; services check them. A step that fails or a feed
    # that looks stale sends the day to needs_attention; fixing it sends it back.
    TRANSITIONS = {
        Status.COLLECTING: {Status.DRAFTING, Status.NEEDS_ATTENTION},
        Status.DRAFTING: {Status.IN_REVIEW, Status.NEEDS_ATTENTION},
        # Back to drafting when late papers arrive or an editor asks for new drafts.
        Status.IN_REVIEW: {Status.PUBLISHED, Status.NEEDS_ATTENTION, Status.DRAFTING},
        Status.PUBLISHED: {Status.IN_REVIEW},
        Status.NEEDS_ATTENTION: {Status.COLLECTING, Status.DRAFTING, Status.IN_REVIEW},
    }
    # Days a fetch may still add papers to.
    OPEN_FOR_COLLECTION = {Status.COLLECTING, Status.DRAFTING, Status.IN_REVIEW, Status.NEEDS_ATTENTION}

    date = models.DateField(_("date"), unique=True)
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
        ordering = ["-date"]
        permissions = [("publish_day", _("Can publish and unpublish days"))]

    def __str__(self) -> str:
        return f"arXiv Daily – {self.date:%Y-%m-%d}"

    @property
    def is_public(self) -> bool:
        """`DigestDayQuerySet.public()`'s rule for a row already in hand."""
        return self.live_publication_id is not None and self.date <= current_digest_date()


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
        return f"{self.day.date}: {self.from_status or '—'} → {self.to_status}"


class JSONStrings(Func):
    """Every string inside a JSON value (an authors list's names and affiliations), space-separated, as text.

    Not a cast to text: SQLite stores JSON with non-ASCII characters as \\u escapes, so "Tomás" would
    not match; and the keys ("name") are not words to find.
    """

    output_field = TextField()
    template = "CAST(%(expressions)s AS TEXT)"

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, **extra,
                           template="(SELECT group_concat(atom, ' ') FROM json_tree(%(expressions)s) WHERE type = 'text')")

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, **extra, template=(
            "(SELECT string_agg(found #>> '{}', ' ') FROM jsonb_path_query(%(expressions)s, 'strict $.**') AS found "
            "WHERE jsonb_typeof(found) = 'string')"
        ))


class EntryQuerySet(models.QuerySet):
    def in_digest_order(self) -> "EntryQuerySet":
        return self.order_by("day__date", "position", "id")

    def approved(self) -> "EntryQuerySet":
        return self.filter(state=Entry.State.APPROVED)

    def publishable(self) -> "EntryQuerySet":
        """Entries a publication takes: approved, with the exact revision that was approved."""
        return self.approved().filter(approved_revision__isnull=False)

    def with_search_text(self) -> "EntryQuerySet":
        """Alias what the admin's entry search looks in beside arXiv id and English title: the paper's
        current Chinese title and abstract (its newest revision's, not older words) and its authors."""
        newest = Revision.objects.filter(paper_id=OuterRef("paper_id")).order_by("-number")
        return self.alias(
            current_title_zh=Subquery(newest.values("title_zh")[:1]),
            current_abstract_zh=Subquery(newest.values("abstract_zh")[:1]),
            authors_text=JSONStrings("paper__authors"),
        )

    def not_reviewed(self) -> "EntryQuerySet":
        return self.filter(state__in=Entry.NOT_REVIEWED)

    def next_to_review(self, after: "Entry") -> "Entry | None":
        """Among these (a day's entries), the first after `after` still awaiting a draft or in review,
        wrapping round to the earlier ones; None when no other entry needs review."""
        waiting = self.not_reviewed().exclude(pk=after.pk).order_by("position", "id")
        return waiting.filter(position__gt=after.position).first() or waiting.first()


class Entry(models.Model):
    """A paper's place in a day. Each paper enters the digest once as new or cross-list;
    a new version enters again only when DIGEST_ANNOUNCE_TYPES asks for replacements."""

    class Kind(models.TextChoices):
        NEW = "new", _("new")
        CROSS = "cross", _("cross-list")
        REPLACE = "replace", _("replacement")
        REPLACE_CROSS = "replace-cross", _("replacement of a cross-list")

    FIRST_APPEARANCE = (Kind.NEW, Kind.CROSS)

    class State(models.TextChoices):
        AWAITING_DRAFT = "awaiting_draft", _("awaiting draft")
        IN_REVIEW = "in_review", _("in review")
        APPROVED = "approved", _("approved")
        REJECTED = "rejected", _("rejected")

    # The only moves an entry makes; publishing.review.services checks them. An edit after
    # approval, or reopening, sends an entry back to review.
    TRANSITIONS = {
        State.AWAITING_DRAFT: {State.IN_REVIEW, State.REJECTED},
        State.IN_REVIEW: {State.APPROVED, State.REJECTED},
        State.APPROVED: {State.IN_REVIEW},
        State.REJECTED: {State.IN_REVIEW},
    }
    # States that keep a day from being published whole (see publishing.posts.publication).
    NOT_REVIEWED = (State.AWAITING_DRAFT, State.IN_REVIEW)

    day = models.ForeignKey(DigestDay, verbose_name=_("day"), on_delete=models.CASCADE, related_name="entries")
    paper = models.ForeignKey(
        "papers.Paper", verbose_name=_("paper"), on_delete=models.PROTECT, related_name="digest_entries"
    )
    paper_version = models.PositiveIntegerField(_("paper version"), help_text=_("The version that entered the day"))
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    position = models.PositiveIntegerField(_("position"))
    created_at = models.DateTimeField(_("added"), default=timezone.now, editable=False)
    state = models.CharField(_("state"), max_length=20, choices=State.choices, default=State.AWAITING_DRAFT)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("approved by"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    # Exactly the text that was approved: publishing uses this revision, not whatever is newest.
    approved_revision = models.ForeignKey(
        "translations.Revision", verbose_name=_("approved revision"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )
    # The error-severity quality checks (their ids) the approver confirmed approving despite:
    # empty for an approval without errors, cleared with the approval.
    approved_despite_checks = models.JSONField(_("approved despite checks"), default=list, blank=True)
    editor_note = models.TextField(_("editor note"), blank=True)

    objects = EntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("entry")
        verbose_name_plural = _("entries")
        ordering = ["day", "position", "id"]
        permissions = [("review_entry", _("Can approve, reject and reopen entries"))]
        constraints = [
            models.UniqueConstraint(fields=["day", "paper"], name="entry_paper_once_per_day"),
            models.UniqueConstraint(fields=["paper", "paper_version"], name="entry_paper_version_once"),
            # The database itself guarantees a paper is never new in two days.
            models.UniqueConstraint(
                fields=["paper"],
                condition=Q(kind__in=["new", "cross"]),
                name="entry_paper_first_appearance_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.day.date} #{self.position} {self.paper.arxiv_id}"


class SourceChangeQuerySet(models.QuerySet):
    def open(self) -> "SourceChangeQuerySet":
        """Marks no editor has dealt with yet (by approving the entry again, or dismissing the mark)."""
        return self.filter(resolved_at__isnull=True)


class SourceChange(models.Model):
    """A newer arXiv version of a paper whose entry was approved or published, with English that changed.

    Keeps the English before and after (the Paper row holds only the latest), so the review
    page can show what changed. A replacement that changes only the version and dates makes none.
    """

    ENGLISH_FIELDS = ("title", "abstract", "comment")

    entry = models.ForeignKey(Entry, verbose_name=_("entry"), on_delete=models.CASCADE, related_name="source_changes")
    old_version = models.PositiveIntegerField(_("old version"))
    new_version = models.PositiveIntegerField(_("new version"))
    old_title = models.TextField(_("old title"), blank=True)
    new_title = models.TextField(_("new title"), blank=True)
    old_abstract = models.TextField(_("old abstract"), blank=True)
    new_abstract = models.TextField(_("new abstract"), blank=True)
    old_comment = models.TextField(_("old comments"), blank=True)
    new_comment = models.TextField(_("new comments"), blank=True)
    # Of ENGLISH_FIELDS, those that changed.
    changed_fields = models.JSONField(_("changed"), default=list)
    # The entry was in its day's live publication when the new version came: readers see the old text.
    was_published = models.BooleanField(_("published"), default=False)
    fetch_run = models.ForeignKey(
        "papers.FetchRun", verbose_name=_("fetch"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    detected_at = models.DateTimeField(_("detected at"), default=timezone.now)
    resolved_at = models.DateTimeField(_("dealt with at"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("dealt with by"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    resolution = models.CharField(_("how"), max_length=20, blank=True)

    objects = SourceChangeQuerySet.as_manager()

    class Meta:
        verbose_name = _("source change")
        verbose_name_plural = _("source changes")
        ordering = ["-detected_at", "-id"]
        constraints = [
            # A fetch seen twice marks an entry once per new version.
            models.UniqueConstraint(fields=["entry", "new_version"], name="source_change_once_per_version"),
        ]

    def __str__(self) -> str:
        return f"{self.entry.paper.arxiv_id} v{self.old_version} → v{self.new_version}"


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
    paper = models.OneToOneField(
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

    def __str__(self) -> str:
        return f"{self.day.date} {self.paper.arxiv_id}: {self.reason}"


class Publication(models.Model):
    """One published version of a day: the markdown and HTML exactly as readers got them. Never changed.

    Publishing again after a correction adds version 2; the day points at the version
    readers see (`DigestDay.live_publication`), and unpublishing clears that pointer.
    """

    day = models.ForeignKey(DigestDay, verbose_name=_("day"), on_delete=models.PROTECT, related_name="publications")
    version = models.PositiveIntegerField(_("version"))
    markdown = models.TextField(_("markdown"))
    html = models.TextField(_("rendered HTML"))
    # Publishing an unchanged day again finds its version by this hash instead of adding one.
    content_hash = models.CharField(_("content hash"), max_length=64, db_index=True)
    paper_count = models.PositiveIntegerField(_("papers"))
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("published by"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )
    # Who published, also when it was done from the shell without an account.
    published_by_name = models.CharField(_("published by (name)"), max_length=150)
    published_at = models.DateTimeField(_("published at"), default=timezone.now)
    # The chief editor's word to readers on what a correction changed (the public version history).
    correction_note = models.TextField(_("correction note"), blank=True)

    class Meta:
        verbose_name = _("publication")
        verbose_name_plural = _("publications")
        ordering = ["-day__date", "-version"]
        get_latest_by = "version"
        constraints = [models.UniqueConstraint(fields=["day", "version"], name="publication_version_once_per_day")]

    def __str__(self) -> str:
        return f"{self.day} v{self.version}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValueError("a publication is frozen; publish the day again to make a new version")
        super().save(*args, **kwargs)

    @property
    def etag(self) -> str:
        return f'"{self.pk}-{self.content_hash[:16]}"'


class ScheduledPublication(models.Model):
    """A chief editor's order to publish a day at a time: run once, by a django-q2 schedule, with the
    entries approved at that moment; what came of it is kept here."""

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        RUNNING = "running", _("running")
        DONE = "done", _("published")
        FAILED = "failed", _("failed")
        CANCELLED = "cancelled", _("cancelled")

    day = models.ForeignKey(DigestDay, verbose_name=_("day"), on_delete=models.CASCADE,
                            related_name="scheduled_publications")
    publish_at = models.DateTimeField(_("publish at"))
    approved_only = models.BooleanField(_("approved entries only"), default=False)
    scheduled_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("scheduled by"), on_delete=models.PROTECT,
                                     related_name="+")
    scheduled_at = models.DateTimeField(_("scheduled at"), default=timezone.now)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.PENDING)
    outcome = models.TextField(_("outcome"), blank=True)
    schedule_name = models.CharField(max_length=100, blank=True, editable=False)

    class Meta:
        verbose_name = _("scheduled publication")
        verbose_name_plural = _("scheduled publications")
        ordering = ["-publish_at"]

    def __str__(self) -> str:
        return f"{self.day} @ {self.publish_at:%Y-%m-%d %H:%M}"


_PUBLIC_DAY_SUMMARY_SQL = """
SELECT p.id, p.content_hash, p.published_at,
       (SELECT max(o.date) FROM {day} o WHERE o.live_publication_id IS NOT NULL AND o.date < d.date),
       (SELECT min(o.date) FROM {day} o WHERE o.live_publication_id IS NOT NULL AND o.date > d.date AND o.date <= %s)
FROM {day} d JOIN {publication} p ON p.id = d.live_publication_id
WHERE d.date = %s AND d.date <= %s
""".format(day=DigestDay._meta.db_table, publication=Publication._meta.db_table)


class PublishedPaperQuerySet(models.QuerySet):
    def live(self) -> "PublishedPaperQuerySet":
        """Rows of the versions that are live, whatever their date (publishing's bookkeeping)."""
        return self.filter(live=True)

    def public(self) -> "PublishedPaperQuerySet":
        """Papers readers may see: of a live version, of a day dated today or earlier (DigestDay.public's rule)."""
        return self.filter(live=True, day_date__lte=current_digest_date())

    def of_category(self, category: str, *, start: int, stop: int) -> "PublishedPaperQuerySet":
        """The public papers of a category from the newest, rows `start` to `stop` (a page, a feed).

        The rows are chosen in the category rows alone (one index, read from its start) and only those
        papers are then read; the public rule is applied to both, so a row out of step never shows a paper.
        (A LIKE on categories_text read every paper of the archive before the page, or all of them
        for a category with none.)
        """
        rows = (
            PublishedPaperCategory.objects.public().filter(category=category)
            .order_by("-day_date", "position").values("published_paper_id")[start:stop]
        )
        return self.public().filter(pk__in=rows).order_by("-day_date", "position")


class PublishedPaper(models.Model):
    """A paper as one publication shows it, for the paper, category and search pages.

    Derived from the publication when it is made (the text is the approved revision's);
    `live` marks the rows of the versions readers currently see and is the only field
    that changes (on publish and unpublish).
    """

    publication = models.ForeignKey(Publication, on_delete=models.CASCADE, related_name="papers")
    paper = models.ForeignKey("papers.Paper", on_delete=models.PROTECT, related_name="publications")
    day_date = models.DateField(db_index=True)
    position = models.PositiveIntegerField()
    live = models.BooleanField(default=False)
    arxiv_id = models.CharField(max_length=32, db_index=True)
    versioned_id = models.CharField(max_length=40)
    title = models.TextField()
    authors_text = models.TextField()
    # " cs.SD cs.LG ": spaces on both sides so one LIKE finds a whole category on any database.
    categories_text = models.CharField(max_length=500)
    abstract_en = models.TextField()
    title_zh = models.TextField(blank=True)
    abstract_zh = models.TextField()
    # The reading's three sections as the post numbers them 1) 2) 3), each rendered on its own by the
    # paper page; `reading_md` (the three joined by blank lines, which may also occur inside a section,
    # so it cannot be split again) is what search reads.
    background_md = models.TextField(blank=True)
    method_md = models.TextField(blank=True)
    results_md = models.TextField(blank=True)
    reading_md = models.TextField()
    # When an editor approved the text shown (the page's 人工审校 mark); not part of what decides a new version.
    reviewed_at = models.DateTimeField(null=True, blank=True)
    # On PostgreSQL also `search_vector`, generated by the database (migration 0005); see public.search.

    objects = PublishedPaperQuerySet.as_manager()

    class Meta:
        ordering = ["-day_date", "position"]
        constraints = [
            models.UniqueConstraint(fields=["publication", "paper"], name="published_paper_once_per_publication")
        ]
        indexes = [models.Index(fields=["live", "-day_date", "position"], name="published_paper_live_recent")]

    def __str__(self) -> str:
        return f"{self.day_date} {self.arxiv_id}"

    @property
    def categories(self) -> list[str]:
        return self.categories_text.split()

    @property
    def reading_sections(self) -> list[str]:
        return [self.background_md, self.method_md, self.results_md]


class PublishedPaperCategoryQuerySet(models.QuerySet):
    def public(self) -> "PublishedPaperCategoryQuerySet":
        """`PublishedPaperQuerySet.public()`'s rule, on the copies of its fields."""
        return self.filter(live=True, day_date__lte=current_digest_date())


class PublishedPaperCategory(models.Model):
    """One category of a published paper, with copies of the paper's `live`, `day_date` and `position`,
    so that a category's page is one range of one index (category, live, newest first).

    Made with the paper's row (`for_papers`); `live` changes with the paper's, in the same transaction
    (publishing.posts.publication._go_live). Nothing else writes these rows.
    """

    # Not indexed alone: the unique constraint's index starts with it.
    published_paper = models.ForeignKey(PublishedPaper, on_delete=models.CASCADE, related_name="category_rows",
                                        db_index=False)
    # As long as the whole of `categories_text` may be: a category arXiv sends is never refused here.
    category = models.CharField(max_length=500)
    live = models.BooleanField(default=False)
    day_date = models.DateField()
    position = models.PositiveIntegerField()

    objects = PublishedPaperCategoryQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["published_paper", "category"], name="published_paper_category_once")
        ]
        indexes = [
            # The page's filter and order, and the paper's id: PostgreSQL answers from the index alone.
            models.Index(fields=["category", "live", "-day_date", "position", "published_paper"],
                         name="published_category_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.category} {self.published_paper_id}"

    @classmethod
    def for_papers(cls, papers: list[PublishedPaper]) -> list["PublishedPaperCategory"]:
        """Unsaved rows for saved papers (each category once)."""
        return [
            cls(published_paper=paper, category=category, live=paper.live, day_date=paper.day_date,
                position=paper.position)
            for paper in papers for category in dict.fromkeys(paper.categories)
        ]


class WebhookEndpoint(models.Model):
    """Where each newly published day is announced: a generic JSON receiver or a chat's incoming webhook."""

    class Kind(models.TextChoices):
        GENERIC = "generic", _("generic JSON")
        SLACK = "slack", _("Slack")
        FEISHU = "feishu", _("Feishu / Lark")
        DINGTALK = "dingtalk", _("DingTalk")

    name = models.CharField(_("name"), max_length=100)
    url = models.URLField(_("URL"), max_length=500)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.GENERIC)
    # Signs each body (HMAC-SHA256), so the receiver can tell it came from this digest.
    secret = models.CharField(_("signing secret"), max_length=200, blank=True)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class WebhookDelivery(models.Model):
    """One announcement of one published version to one endpoint, with every try's answer."""

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        SENDING = "sending", _("sending")
        DELIVERED = "delivered", _("delivered")
        FAILED = "failed", _("failed")

    endpoint = models.ForeignKey(WebhookEndpoint, verbose_name=_("endpoint"), on_delete=models.CASCADE,
                                 related_name="deliveries")
    publication = models.ForeignKey(Publication, verbose_name=_("publication"), on_delete=models.CASCADE,
                                    related_name="webhook_deliveries")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    response_status = models.PositiveIntegerField(_("answer status"), null=True, blank=True)
    response_body = models.TextField(_("answer"), blank=True)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    last_tried_at = models.DateTimeField(_("last tried"), null=True, blank=True)
    next_try_at = models.DateTimeField(_("next try"), null=True, blank=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-created_at", "-id"]
        constraints = [
            # A repeated publish or signal never announces the same version twice to one endpoint.
            models.UniqueConstraint(fields=["endpoint", "publication"], name="webhook_delivery_once"),
        ]

    def __str__(self) -> str:
        return f"{self.publication} → {self.endpoint}"


class SubscriberQuerySet(models.QuerySet):
    def receiving(self) -> "SubscriberQuerySet":
        """Who gets each newly published day: confirmed addresses (not unsubscribed, not bouncing)."""
        return self.filter(status=Subscriber.Status.CONFIRMED)


class Subscriber(models.Model):
    """A reader of the email edition: an address, the categories chosen (none: all), and whether corrections go to them.

    Double opt-in: a subscriber is `pending` until the signed link mailed to the address is followed.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("awaiting confirmation")
        CONFIRMED = "confirmed", _("confirmed")
        UNSUBSCRIBED = "unsubscribed", _("unsubscribed")
        BOUNCING = "bouncing", _("bouncing")

    # The only moves a subscriber makes; publishing.channels.email checks them. A confirmation link
    # followed again (new preferences) keeps a subscriber confirmed; a server's permanent refusal of
    # the address makes it bouncing, and a later mail it accepts (an editor's retry) confirmed again.
    TRANSITIONS = {
        Status.PENDING: {Status.CONFIRMED, Status.UNSUBSCRIBED},
        Status.CONFIRMED: {Status.CONFIRMED, Status.UNSUBSCRIBED, Status.BOUNCING},
        Status.UNSUBSCRIBED: {Status.CONFIRMED},
        Status.BOUNCING: {Status.CONFIRMED, Status.UNSUBSCRIBED},
    }

    email = models.EmailField(_("email address"), max_length=254, unique=True)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.PENDING)
    # " cs.SD eess.AS " (spaces on both sides, as PublishedPaper.categories_text); blank: every category.
    categories_text = models.CharField(_("categories"), max_length=500, blank=True)
    wants_corrections = models.BooleanField(_("also corrections"), default=False)
    # In the unsubscribe link of every mail; random, so the link names no one and cannot be guessed.
    unsubscribe_token = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("subscribed"), default=timezone.now, editable=False)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    unsubscribed_at = models.DateTimeField(_("unsubscribed at"), null=True, blank=True)
    # When the confirmation link last followed was mailed: a link mailed at or before it (the same
    # link again, or an older one) is refused, so a link is used once and never undoes newer choices.
    confirmed_link_issued_at = models.DateTimeField(_("confirmation link mailed at"), null=True, blank=True,
                                                    editable=False)
    status_reason = models.TextField(_("why"), blank=True)

    objects = SubscriberQuerySet.as_manager()

    class Meta:
        verbose_name = _("subscriber")
        verbose_name_plural = _("subscribers")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.email

    @property
    def categories(self) -> list[str]:
        return self.categories_text.split()


class EmailDelivery(models.Model):
    """One day version (publication) mailed to one subscriber: made once, sent at most once by design.

    Sending claims rows with a conditional update and a lease (`claimed_until`); a row claimed by a
    worker that died is claimed again once its lease has run out. See publishing.channels.email.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        SENDING = "sending", _("sending")
        SENT = "sent", _("sent")
        SKIPPED = "skipped", _("skipped")
        FAILED = "failed", _("failed")

    # SENDING → SENDING: claimed again after the lease of a worker that died ran out.
    # SENDING → PENDING: a temporary refusal (4xx) or a lost connection, tried again later.
    TRANSITIONS = {
        Status.PENDING: {Status.SENDING, Status.SKIPPED},
        Status.SENDING: {Status.SENDING, Status.SENT, Status.PENDING, Status.FAILED, Status.SKIPPED},
        Status.FAILED: {Status.PENDING},
        Status.SENT: set(),
        Status.SKIPPED: set(),
    }

    subscriber = models.ForeignKey(Subscriber, verbose_name=_("subscriber"), on_delete=models.CASCADE,
                                   related_name="deliveries")
    publication = models.ForeignKey(Publication, verbose_name=_("publication"), on_delete=models.CASCADE,
                                    related_name="email_deliveries")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    # Which claim holds the row, until when; a claim outlives the task that made it (see email.LEASE).
    claimed_by = models.CharField(max_length=32, blank=True, editable=False)
    claimed_until = models.DateTimeField(null=True, blank=True, editable=False)
    smtp_code = models.PositiveIntegerField(_("SMTP code"), null=True, blank=True)
    smtp_answer = models.TextField(_("SMTP answer"), blank=True)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    last_tried_at = models.DateTimeField(_("last tried"), null=True, blank=True)
    next_try_at = models.DateTimeField(_("next try"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("email delivery")
        verbose_name_plural = _("email deliveries")
        ordering = ["-created_at", "-id"]
        constraints = [
            # A repeated publish, signal or retry never mails the same version twice to one subscriber.
            models.UniqueConstraint(fields=["subscriber", "publication"], name="email_delivery_once"),
        ]
        indexes = [models.Index(fields=["publication", "status"], name="email_delivery_to_send")]

    def __str__(self) -> str:
        return f"{self.publication} → {self.subscriber}"
