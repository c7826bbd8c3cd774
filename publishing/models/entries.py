"""Entries: a paper's place in a day and its review state; marks of newer arXiv versions."""

from django.conf import settings
from django.db import models
from django.db.models import Func, OuterRef, Q, Subquery, TextField
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from digest_site.transitions import Transitions
from publishing.models.days import DigestDay
from translations.models import Revision


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

    # The only moves an entry makes, made by publishing.review.services. An edit after
    # approval, or reopening, sends an entry back to review.
    TRANSITIONS = Transitions(field="state", owners=("publishing.review.services",), table={
        State.AWAITING_DRAFT: {State.IN_REVIEW, State.REJECTED},
        State.IN_REVIEW: {State.APPROVED, State.REJECTED},
        State.APPROVED: {State.IN_REVIEW},
        State.REJECTED: {State.IN_REVIEW},
    })
    # States that keep a day from being published whole (see publishing.posts.publication).
    NOT_REVIEWED = (State.AWAITING_DRAFT, State.IN_REVIEW)

    day = models.ForeignKey(DigestDay, verbose_name=_("day"), on_delete=models.CASCADE, related_name="entries")
    # The day's digest, kept on the row so the database can hold a paper once per digest.
    digest = models.ForeignKey("digests.Digest", verbose_name=_("digest"), on_delete=models.PROTECT, related_name="+")
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
            models.UniqueConstraint(fields=["digest", "paper", "paper_version"], name="entry_paper_version_once"),
            # The database itself guarantees a paper is never new in two days of one digest.
            models.UniqueConstraint(
                fields=["digest", "paper"],
                condition=Q(kind__in=["new", "cross"]),
                name="entry_paper_first_appearance_once",
            ),
        ]

    def save(self, *args, **kwargs) -> None:
        if self.digest_id is None and self.day_id is not None:
            self.digest_id = DigestDay.objects.values_list("digest_id", flat=True).get(pk=self.day_id)
        super().save(*args, **kwargs)

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
