"""Publications: each frozen version of a day, and the rows derived from it for readers' pages."""

import functools
import operator

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from publishing.models.days import DigestDay, digest_today


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


class PublishedPaperQuerySet(models.QuerySet):
    def live(self) -> "PublishedPaperQuerySet":
        """Rows of the versions that are live, whatever their date (publishing's bookkeeping)."""
        return self.filter(live=True)

    def public(self, digest) -> "PublishedPaperQuerySet":
        """Papers of `digest` readers may see: of a live version, of a day dated today or earlier
        (DigestDay.public's rule, on the copies of the day's digest and date)."""
        return self.filter(digest=digest, live=True, day_date__lte=digest_today(digest))

    def public_in_every_digest(self, digests) -> "PublishedPaperQuerySet":
        """`public()` of each of `digests` (each by its own today): where a paper is public at all."""
        return functools.reduce(operator.or_, (self.public(digest) for digest in digests), self.none())

    def of_category(self, digest, category: str, *, start: int, stop: int) -> "PublishedPaperQuerySet":
        """The public papers of a digest's category from the newest, rows `start` to `stop` (a page, a feed).

        The rows are chosen in the category rows alone (one index, read from its start) and only those
        papers are then read; the public rule is applied to both, so a row out of step never shows a paper.
        (A LIKE on categories_text read every paper of the archive before the page, or all of them
        for a category with none.)
        """
        rows = (
            PublishedPaperCategory.objects.public(digest).filter(category=category)
            .order_by("-day_date", "position").values("published_paper_id")[start:stop]
        )
        return self.public(digest).filter(pk__in=rows).order_by("-day_date", "position")


class PublishedPaper(models.Model):
    """A paper as one publication shows it, for the paper, category and search pages.

    Derived from the publication when it is made (the text is the approved revision's);
    `live` marks the rows of the versions readers currently see and is the only field
    that changes (on publish and unpublish). `digest` and `day_date` copy the day's, so a page's
    query reads one index that leads with the digest.
    """

    publication = models.ForeignKey(Publication, on_delete=models.CASCADE, related_name="papers")
    digest = models.ForeignKey("digests.Digest", on_delete=models.PROTECT, related_name="+", db_index=False)
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
        indexes = [models.Index(fields=["digest", "live", "-day_date", "position"], name="published_paper_recent")]

    def __str__(self) -> str:
        return f"{self.day_date} {self.arxiv_id}"

    def save(self, *args, **kwargs) -> None:
        if self.digest_id is None and self.publication_id is not None:  # publishing sets it; a row made by hand
            self.digest_id = Publication.objects.values_list("day__digest_id", flat=True).get(pk=self.publication_id)
        super().save(*args, **kwargs)

    @property
    def categories(self) -> list[str]:
        return self.categories_text.split()

    @property
    def reading_sections(self) -> list[str]:
        return [self.background_md, self.method_md, self.results_md]

    # The paper's Chinese text: a later version of its day that changed any of these corrected it.
    CORRECTED_FIELDS = ("title_zh", "abstract_zh", "reading_md")

    def latest_correction(self) -> Publication | None:
        """The version of this row's day, up to this row's own, that last changed the paper's Chinese text
        (its note says why); None while the text is as first published. One query when the row's
        publication is loaded with it."""
        rows = (
            PublishedPaper.objects.filter(publication__day_id=self.publication.day_id, arxiv_id=self.arxiv_id,
                                          publication__version__lte=self.publication.version)
            .select_related("publication")
            .only(*self.CORRECTED_FIELDS, "publication", "publication__version", "publication__published_at",
                  "publication__correction_note", "publication__day_id")
            .order_by("publication__version")
        )
        correction, previous = None, None
        for row in rows:
            if previous is not None and any(getattr(row, name) != getattr(previous, name)
                                            for name in self.CORRECTED_FIELDS):
                correction = row.publication
            previous = row
        return correction


class PublishedPaperCategoryQuerySet(models.QuerySet):
    def public(self, digest) -> "PublishedPaperCategoryQuerySet":
        """`PublishedPaperQuerySet.public()`'s rule, on the copies of its fields."""
        return self.filter(digest=digest, live=True, day_date__lte=digest_today(digest))


class PublishedPaperCategory(models.Model):
    """One category of a published paper, with copies of the paper's `digest`, `live`, `day_date` and
    `position`, so that a category's page is one range of one index (digest, category, live, newest first).

    Made with the paper's row (`for_papers`); `live` changes with the paper's, in the same transaction
    (publishing.posts.publication._go_live). Nothing else writes these rows.
    """

    # Not indexed alone: the unique constraint's index starts with it.
    published_paper = models.ForeignKey(PublishedPaper, on_delete=models.CASCADE, related_name="category_rows",
                                        db_index=False)
    # As long as the whole of `categories_text` may be: a category arXiv sends is never refused here.
    category = models.CharField(max_length=500)
    digest = models.ForeignKey("digests.Digest", on_delete=models.PROTECT, related_name="+", db_index=False)
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
            models.Index(fields=["digest", "category", "live", "-day_date", "position", "published_paper"],
                         name="pub_category_digest_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.category} {self.published_paper_id}"

    @classmethod
    def for_papers(cls, papers: list[PublishedPaper]) -> list["PublishedPaperCategory"]:
        """Unsaved rows for saved papers (each category once)."""
        return [
            cls(published_paper=paper, category=category, digest_id=paper.digest_id, live=paper.live,
                day_date=paper.day_date, position=paper.position)
            for paper in papers for category in dict.fromkeys(paper.categories)
        ]
