import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from digest_site.transitions import Transitions
from papers.announcements import ANNOUNCEMENT_WEEKDAYS

ARXIV_ABS_URL = "https://arxiv.org/abs/{arxiv_id}v{version}"
ARXIV_PDF_URL = "https://arxiv.org/pdf/{arxiv_id}v{version}"


class PaperQuerySet(models.QuerySet):
    def in_category(self, category: str) -> "PaperQuerySet":
        """Papers listed in `category`, as primary or cross-list (works on SQLite and PostgreSQL)."""
        return self.filter(categories__icontains=f'"{category}"')


class Paper(models.Model):
    """One arXiv paper as arXiv last described it: one row per id, holding the latest version seen."""

    arxiv_id = models.CharField(_("arXiv id"), max_length=64, unique=True, help_text=_("Without version"))
    version = models.PositiveIntegerField(_("version"))
    title = models.TextField(_("title"))
    # [{"name": "…", "affiliations": ["…"]}, …] in the order arXiv lists them.
    authors = models.JSONField(_("authors"), default=list)
    primary_category = models.CharField(_("primary category"), max_length=32, db_index=True)
    # Primary first, then cross-lists, in arXiv's order.
    categories = models.JSONField(_("categories"), default=list)
    # Codes such as MSC or ACM classes that some entries list beside the categories.
    other_classes = models.JSONField(_("other classes"), default=list, blank=True)
    abstract = models.TextField(_("abstract"))
    comment = models.TextField(_("comment"), blank=True)
    journal_ref = models.TextField(_("journal reference"), blank=True)
    doi = models.CharField(_("DOI"), max_length=255, blank=True)
    license = models.CharField(_("license"), max_length=255, blank=True)
    # A context of its own: "published" elsewhere means a digest day made public (首次提交 here, 已发布 there).
    published = models.DateTimeField(
        pgettext_lazy("arXiv submission date", "published"), help_text=_("When version 1 was submitted")
    )
    updated = models.DateTimeField(_("updated"), help_text=_("When the latest version was submitted"))
    first_seen_at = models.DateTimeField(_("first seen"), default=timezone.now, editable=False)
    last_changed_at = models.DateTimeField(_("last changed"), default=timezone.now, editable=False)
    last_changed_by_run = models.ForeignKey(
        "papers.FetchRun",
        verbose_name=_("last changed by fetch"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = PaperQuerySet.as_manager()

    class Meta:
        verbose_name = _("paper")
        verbose_name_plural = _("papers")
        ordering = ["-published", "-arxiv_id"]
        indexes = [models.Index(fields=["published"]), models.Index(fields=["updated"])]

    def __str__(self) -> str:
        return f"{self.versioned_id} {self.title[:80]}"

    @property
    def versioned_id(self) -> str:
        return f"{self.arxiv_id}v{self.version}"

    @property
    def abs_url(self) -> str:
        return ARXIV_ABS_URL.format(arxiv_id=self.arxiv_id, version=self.version)

    @property
    def pdf_url(self) -> str:
        return ARXIV_PDF_URL.format(arxiv_id=self.arxiv_id, version=self.version)

    @property
    def author_names(self) -> list[str]:
        return [author["name"] for author in self.authors]


class FetchRun(models.Model):
    """The audit record of one fetch: what was asked, from where, what came back, what was kept."""

    class Source(models.TextChoices):
        API = "api", _("arXiv API")
        RSS = "rss", _("arXiv RSS feed")
        FILE = "file", _("saved file")

    class Status(models.TextChoices):
        RUNNING = "running", _("running")
        SUCCEEDED = "succeeded", _("succeeded")
        FAILED = "failed", _("failed")

    # The only moves a run makes, made by papers.services.
    TRANSITIONS = Transitions(field="status", owners=("papers.services",), table={
        Status.RUNNING: {Status.SUCCEEDED, Status.FAILED},
        Status.SUCCEEDED: set(),
        Status.FAILED: set(),
    })

    digest_date = models.DateField(_("digest date"), db_index=True)
    window_start = models.DateTimeField(_("window start"))
    window_end = models.DateTimeField(_("window end"))
    query_start = models.DateTimeField(_("look-back from"), help_text=_("Start of the range asked of arXiv"))
    source = models.CharField(_("source"), max_length=8, choices=Source.choices)
    source_detail = models.TextField(_("source detail"), blank=True, help_text=_("URLs asked or files read"))
    categories = models.JSONField(_("categories"), default=list)
    # What each digest's day made of the fetch (one fetch serves every digest): slug → its counts.
    digest_counts = models.JSONField(_("by digest"), default=dict, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.RUNNING)
    fetched = models.PositiveIntegerField(_("fetched"), default=0, help_text=_("Entries received"))
    kept = models.PositiveIntegerField(_("kept"), default=0, help_text=_("New entries added to the day"))
    duplicates = models.PositiveIntegerField(
        _("duplicates"), default=0, help_text=_("Repeated entries, or papers a day already holds")
    )
    filtered_out = models.PositiveIntegerField(
        _("filtered out"), default=0, help_text=_("New papers dropped by category, keyword or announce-type filters")
    )
    outside_window = models.PositiveIntegerField(
        _("outside the window"),
        default=0,
        help_text=_("Papers outside the look-back range, or new versions of papers no day holds"),
    )
    papers_created = models.PositiveIntegerField(_("papers created"), default=0)
    papers_updated = models.PositiveIntegerField(_("papers updated"), default=0)
    warning = models.TextField(_("warning"), blank=True)
    error = models.TextField(_("error"), blank=True)
    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    # A failed morning fetch: when the morning job tries it again (publishing.days.pipeline), if it does.
    next_try_at = models.DateTimeField(_("next try"), null=True, blank=True)

    class Meta:
        verbose_name = _("fetch run")
        verbose_name_plural = _("fetch runs")
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"#{self.pk} {self.digest_date} {self.get_source_display()} {self.get_status_display()}"

    @property
    def duration(self):
        return self.finished_at - self.started_at if self.finished_at else None

    def serves(self, digest) -> bool:
        """Whether this fetch collected for the digest (digests.Digest): it recorded what the digest made of it,
        or (failed, running, or from before digests) it asked for one of the digest's categories."""
        if self.digest_counts:
            return digest.slug in self.digest_counts
        return not self.categories or bool(set(self.categories) & set(digest.categories))


class ArxivHolidayQuerySet(models.QuerySet):
    def known_dates(self) -> list[dt.date]:
        """Every date arXiv skipped an announcement on: the rows editors added, and DIGEST_ARXIV_HOLIDAYS."""
        return sorted(set(self.values_list("date", flat=True)) | set(settings.DIGEST_ARXIV_HOLIDAYS))


class ArxivHoliday(models.Model):
    """A day arXiv made no announcement (a US holiday such as Thanksgiving), added by an editor.

    The stale-feed check expects no announcement that day, so the next morning's day is not
    flagged for missing papers that never came.
    """

    date = models.DateField(
        _("date (US Eastern)"), unique=True,
        help_text=_("The US Eastern date of the evening announcement arXiv skipped (Sunday to Thursday)"),
    )
    note = models.CharField(_("note"), max_length=200, blank=True, help_text=_("e.g. Thanksgiving"))

    objects = ArxivHolidayQuerySet.as_manager()

    class Meta:
        verbose_name = _("arXiv holiday")
        verbose_name_plural = _("arXiv holidays")
        ordering = ["-date"]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.note}".strip()

    def clean(self) -> None:
        # A Friday or Saturday has no announcement anyway: most likely a Beijing date was entered.
        if self.date is not None and self.date.weekday() not in ANNOUNCEMENT_WEEKDAYS:
            raise ValidationError(
                {"date": _("arXiv never announces on a Friday or Saturday; enter the US Eastern date of the "
                           "announcement it skipped (Sunday to Thursday evening).")},
                code="not_an_announcement_day",
            )
