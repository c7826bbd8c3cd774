from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from digest_site.transitions import Transitions


class ChineseText(models.Model):
    """A paper's Chinese text in the digest's five sections: what a machine draft writes and a revision keeps.

    Drafts and revisions use the same field names, so text moves between them by name.
    """

    TEXT_FIELDS = ("title_zh", "abstract_zh", "background_md", "method_md", "results_md")

    title_zh = models.TextField(_("Chinese title"), blank=True)
    abstract_zh = models.TextField(_("Chinese abstract"), blank=True)
    background_md = models.TextField(_("background and prior-work problems"), blank=True)
    method_md = models.TextField(_("method"), blank=True)
    results_md = models.TextField(_("tasks and results"), blank=True)
    # The named quality checks' findings on this text (translations.checks; a list of
    # {"check", "field", "start", "end", "message"}), computed once when the row is made: the
    # text never changes afterwards. None: made before the checks existed, or a draft without text.
    checks = models.JSONField(_("check findings"), null=True, blank=True, editable=False)

    class Meta:
        abstract = True

    def text(self) -> dict[str, str]:
        return {name: getattr(self, name) for name in self.TEXT_FIELDS}

    @property
    def reading_sections(self) -> list[str]:
        return [self.background_md, self.method_md, self.results_md]


class MachineDraftQuerySet(models.QuerySet):
    def latest_per_paper(self) -> "MachineDraftQuerySet":
        """The newest draft of each paper (a paper's current machine draft), for many papers at once."""
        newer = MachineDraft.objects.filter(paper_id=models.OuterRef("paper_id"), id__gt=models.OuterRef("id"))
        return self.filter(~models.Exists(newer))

    def newest(self) -> "MachineDraft | None":
        """The newest draft among these (highest id: drafts are only ever added), or None.

        `paper.machine_drafts.newest()` is the paper's current draft, whatever its status;
        `paper.machine_drafts.succeeded().newest()` the newest one with text.
        """
        return self.order_by("-id").first()

    def succeeded(self) -> "MachineDraftQuerySet":
        return self.filter(status=MachineDraft.Status.SUCCEEDED)

    def active(self) -> "MachineDraftQuerySet":
        return self.filter(status__in=MachineDraft.ACTIVE)


class MachineDraft(ChineseText):
    """One LLM attempt at a paper's Chinese draft. Kept for good: drafting again adds a new one."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("running")
        SUCCEEDED = "succeeded", _("succeeded")
        FAILED = "failed", _("failed")

    # The only moves a draft makes, made by translations.services. A running draft whose worker died
    # (its lease ran out) is claimed again: running -> running.
    TRANSITIONS = Transitions(field="status", owners=("translations.services",), table={
        Status.QUEUED: {Status.RUNNING, Status.FAILED},
        Status.RUNNING: {Status.RUNNING, Status.SUCCEEDED, Status.FAILED},
        Status.SUCCEEDED: set(),
        Status.FAILED: set(),
    })
    ACTIVE = (Status.QUEUED, Status.RUNNING)
    FINISHED = (Status.SUCCEEDED, Status.FAILED)

    class TextSource(models.TextChoices):
        HTML = "html", _("full text (arXiv HTML)")
        PDF = "pdf", _("full text (PDF)")
        ABSTRACT = "abstract", _("abstract only")

    paper = models.ForeignKey(
        "papers.Paper", verbose_name=_("paper"), on_delete=models.PROTECT, related_name="machine_drafts"
    )
    paper_version = models.PositiveIntegerField(_("paper version"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.QUEUED)
    # [{"kind": "abstract_only" | "demo", "message": "…"}]: notes on how the draft was made (the quality
    # checks' findings are in `checks`; drafts made before them hold "glossary" and "number" notes here).
    warnings = models.JSONField(_("warnings"), default=list, blank=True)
    model_name = models.CharField(_("model"), max_length=200, blank=True)
    endpoint_host = models.CharField(_("endpoint host"), max_length=255, blank=True)
    prompt_version = models.CharField(_("prompt version"), max_length=50, blank=True)
    input_tokens = models.PositiveIntegerField(_("input tokens"), default=0)
    output_tokens = models.PositiveIntegerField(_("output tokens"), default=0)
    latency_ms = models.PositiveIntegerField(_("latency (ms)"), null=True, blank=True)
    text_source = models.CharField(_("source used"), max_length=16, choices=TextSource.choices, blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    # When the draft was last handed to the workers, and how often: the watchdog's evidence
    # that no worker takes its tasks.
    enqueued_at = models.DateTimeField(_("handed to the workers at"), null=True, blank=True)
    enqueues = models.PositiveIntegerField(_("times handed to the workers"), default=0)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("queued at"), default=timezone.now, editable=False)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    objects = MachineDraftQuerySet.as_manager()

    class Meta:
        verbose_name = _("machine draft")
        verbose_name_plural = _("machine drafts")
        ordering = ["-created_at", "-id"]
        constraints = [
            # At most one draft of a paper is queued or running: drafting twice is refused by the database.
            models.UniqueConstraint(
                fields=["paper"], condition=Q(status__in=["queued", "running"]), name="draft_one_active_per_paper"
            )
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.paper.arxiv_id} {self.get_status_display()}"


def _lines(values) -> list[str]:
    """A list of distinct non-empty strings, spaces tidied, in their first order."""
    seen: dict[str, None] = {}
    for value in values or ():
        value = " ".join(str(value).split())
        if value:
            seen.setdefault(value, None)
    return list(seen)


class GlossaryTerm(models.Model):
    """How the newsroom renders an English term of art in Chinese; drafts are written and checked with it.

    A term without a digest is the newsroom's, used everywhere; a digest's term is an addition of that
    digest, which wins over the newsroom's term for the same English (any case) inside that digest
    (translations.terminology.glossary_terms). One term per English source (any case) in the newsroom's
    glossary, and one per digest.

    `term` is the English source; `variants` other English forms of the same term (hyphenation,
    acronym ↔ expansion; plurals and hyphen/space spellings are matched without listing them).
    A preferred term has its Chinese `rendering`; a keep-English term (a codec, model or data set
    name) must stay untranslated and has none. `forbidden` renderings must never be used for it.
    """

    class Kind(models.TextChoices):
        PREFERRED = "preferred", _("preferred rendering")
        KEEP_ENGLISH = "keep_english", _("keep English")

    # Empty: the newsroom's term; a digest: that digest's addition.
    digest = models.ForeignKey("digests.Digest", verbose_name=_("digest"), null=True, blank=True,
                               on_delete=models.CASCADE, related_name="+",
                               help_text=_("Empty: the newsroom's term, used in every digest. A digest: a term "
                                           "of that digest only, which wins over the newsroom's in it."))
    term = models.CharField(_("English term"), max_length=200)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.PREFERRED)
    rendering = models.CharField(
        _("Chinese rendering"), max_length=200, blank=True,
        help_text=_("Required in a draft whenever the paper uses the term; empty for keep-English terms"),
    )
    variants = models.JSONField(
        _("English variants"), default=list, blank=True,
        help_text=_("Other English forms: acronym or expansion, other spellings. Plurals and hyphens are matched anyway"),
    )
    forbidden = models.JSONField(
        _("forbidden renderings"), default=list, blank=True,
        help_text=_("Chinese renderings that must not be used for this term"),
    )
    note = models.TextField(_("note"), blank=True)
    category = models.CharField(_("category"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("glossary term")
        verbose_name_plural = _("glossary terms")
        ordering = ["term"]
        permissions = [("import_glossaryterm", _("Can import a glossary file"))]
        constraints = [
            # "LLM" and "llm" are one term: the matcher ignores case. Once in the newsroom's glossary, once per digest.
            models.UniqueConstraint(Lower("term"), condition=models.Q(digest__isnull=True),
                                    name="glossary_term_unique_any_case"),
            models.UniqueConstraint(Lower("term"), "digest", condition=models.Q(digest__isnull=False),
                                    name="glossary_term_unique_any_case_per_digest"),
        ]

    def __str__(self) -> str:
        if self.kind == self.Kind.KEEP_ENGLISH:
            return _("%(term)s (keep English)") % {"term": self.term}
        return f"{self.term} → {self.rendering}"

    def clean(self) -> None:
        errors = self.clean_alone()
        same = GlossaryTerm.objects.filter(term__iexact=self.term, digest=self.digest_id).exclude(pk=self.pk)
        if self.term and same.exists():
            errors["term"] = (_("The glossary already has this term (in any case).") if self.digest_id is None
                              else _("This digest's glossary already has this term (in any case)."))
        if errors:
            raise ValidationError(errors)

    def clean_alone(self) -> dict[str, str]:
        """Normalise the fields and return what breaks the rules this term has on its own (`clean` adds
        the rule against the other rows: one term in any case; an import checks that for the whole file)."""
        self.term = " ".join(self.term.split())
        self.rendering = " ".join(self.rendering.split())
        self.variants = [v for v in _lines(self.variants) if v.lower() != self.term.lower()]
        self.forbidden = _lines(self.forbidden)
        errors: dict[str, str] = {}
        if self.kind == self.Kind.PREFERRED and not self.rendering:
            errors["rendering"] = _("A preferred term needs its Chinese rendering.")
        if self.kind == self.Kind.KEEP_ENGLISH and self.rendering:
            errors["rendering"] = _("A keep-English term has no Chinese rendering: the English stays as it is.")
        if self.rendering and self.rendering in self.forbidden:
            errors["forbidden"] = _("The preferred rendering cannot also be forbidden.")
        return errors


class PaperText(models.Model):
    """The cached full text of one version of a paper, references dropped, as drafting uses it."""

    class Kind(models.TextChoices):
        HTML = "html", _("arXiv HTML")
        PDF = "pdf", _("PDF")
        NONE = "none", _("not available")

    paper = models.ForeignKey("papers.Paper", verbose_name=_("paper"), on_delete=models.CASCADE, related_name="+")
    paper_version = models.PositiveIntegerField(_("paper version"))
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    text = models.TextField(_("text"), blank=True)
    # Why no text could be had (kind "none"), for the editor.
    note = models.TextField(_("note"), blank=True)
    fetched_at = models.DateTimeField(_("fetched at"), default=timezone.now)

    class Meta:
        verbose_name = _("paper full text")
        verbose_name_plural = _("paper full texts")
        constraints = [models.UniqueConstraint(fields=["paper", "paper_version"], name="paper_text_once_per_version")]

    def __str__(self) -> str:
        return f"{self.paper.arxiv_id}v{self.paper_version} ({self.get_kind_display()})"


class RevisionQuerySet(models.QuerySet):
    def latest_per_paper(self) -> "RevisionQuerySet":
        newer = Revision.objects.filter(paper_id=models.OuterRef("paper_id"), number__gt=models.OuterRef("number"))
        return self.filter(~models.Exists(newer))


class Revision(ChineseText):
    """One saved state of a paper's Chinese text. Never changed: every save, restore or adoption adds one.

    Revision 1 is copied from the first successful machine draft (no author); later ones are
    editors' saves. `number` is the version an edit form was opened on: a save based on an
    older number is refused (stale form), never merged.
    """

    paper = models.ForeignKey("papers.Paper", verbose_name=_("paper"), on_delete=models.PROTECT, related_name="revisions")
    number = models.PositiveIntegerField(_("number"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("author"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+", help_text=_("Empty for the text copied from a machine draft"),
    )
    created_at = models.DateTimeField(_("saved at"), default=timezone.now)
    changed_fields = models.JSONField(_("changed fields"), default=list, blank=True)
    comment = models.CharField(_("comment"), max_length=500, blank=True)
    from_draft = models.ForeignKey(
        MachineDraft, verbose_name=_("from machine draft"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+", help_text=_("The machine draft this revision copied sections from"),
    )
    restored_from = models.ForeignKey(
        "self", verbose_name=_("restored from"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = RevisionQuerySet.as_manager()

    class Meta:
        verbose_name = _("revision")
        verbose_name_plural = _("revisions")
        ordering = ["paper", "-number"]
        constraints = [models.UniqueConstraint(fields=["paper", "number"], name="revision_number_once_per_paper")]

    def __str__(self) -> str:
        return f"{self.paper.arxiv_id} r{self.number}"


class TermCorrection(models.Model):
    """In one approved text, editors replaced the machine's Chinese for an English term with their own.

    Found by comparing the machine draft with the approved revision (translations/suggestions.py);
    the rows of a paper are replaced each time its entry is approved.
    """

    paper = models.ForeignKey("papers.Paper", verbose_name=_("paper"), on_delete=models.CASCADE, related_name="+")
    revision = models.ForeignKey(Revision, verbose_name=_("approved revision"), on_delete=models.CASCADE,
                                 related_name="+")
    source = models.CharField(_("English term"), max_length=200)
    # The English folded (small letters, one space, no plural s): "LLMs" and "LLM" are one term.
    source_key = models.CharField(_("English term (folded)"), max_length=200, db_index=True)
    # What the editors changed: the two texts before the bracket, their shared beginning dropped
    # ("得分" → "分" in 平均意见得分 → 平均意见分). The same change in several papers is one suggestion.
    machine_change = models.CharField(_("machine's characters"), max_length=100)
    editor_change = models.CharField(_("editors' characters"), max_length=100)
    # The Chinese before the bracket, as each side wrote it (the term, perhaps with some context before it).
    machine_rendering = models.CharField(_("machine rendering"), max_length=100)
    rendering = models.CharField(_("editors' rendering"), max_length=100)
    section = models.CharField(_("section"), max_length=20)
    created_at = models.DateTimeField(_("found at"), default=timezone.now)

    class Meta:
        verbose_name = _("term correction")
        verbose_name_plural = _("term corrections")
        constraints = [
            models.UniqueConstraint(fields=["paper", "source_key", "machine_change", "editor_change"],
                                    name="term_correction_once_per_paper"),
        ]

    def __str__(self) -> str:
        return f"{self.source}: {self.machine_rendering} → {self.rendering}"


class SuggestedTerm(models.Model):
    """A glossary entry proposed because editors made the same correction in several approved entries."""

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        ACCEPTED = "accepted", _("accepted")
        DISMISSED = "dismissed", _("dismissed")

    # A chief editor decides once; a dismissed suggestion is not proposed again.
    TRANSITIONS = Transitions(field="status", owners=("translations.suggestions",), table={
        Status.PENDING: {Status.ACCEPTED, Status.DISMISSED},
        Status.ACCEPTED: set(),
        Status.DISMISSED: set(),
    })

    source = models.CharField(_("English term"), max_length=200)
    source_key = models.CharField(_("English term (folded)"), max_length=200)
    machine_change = models.CharField(_("machine's characters"), max_length=100)
    editor_change = models.CharField(_("editors' characters"), max_length=100)
    # The whole renderings: what every example has before the bracket (their common ending).
    machine_rendering = models.CharField(_("machine rendering"), max_length=100)
    rendering = models.CharField(_("editors' rendering"), max_length=100)
    entries = models.PositiveIntegerField(_("entries corrected"), default=0)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    glossary_term = models.ForeignKey(GlossaryTerm, verbose_name=_("glossary term"), null=True, blank=True,
                                      on_delete=models.SET_NULL, related_name="+")
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("decided by"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    created_at = models.DateTimeField(_("proposed at"), default=timezone.now)

    class Meta:
        verbose_name = _("suggested term")
        verbose_name_plural = _("suggested terms")
        ordering = ["status", "-entries", "source"]
        permissions = [("decide_suggestedterm", _("Can accept or dismiss a suggested term"))]
        constraints = [
            models.UniqueConstraint(fields=["source_key", "machine_change", "editor_change"],
                                    name="suggested_term_once"),
        ]

    def __str__(self) -> str:
        return f"{self.source}: {self.machine_rendering} → {self.rendering}"

    def corrections(self) -> models.QuerySet:
        """The corrections this suggestion rests on (its examples)."""
        return TermCorrection.objects.filter(
            source_key=self.source_key, machine_change=self.machine_change, editor_change=self.editor_change
        )


class MemoryUnitQuerySet(models.QuerySet):
    def reusable(self) -> "MemoryUnitQuerySet":
        """Units drafting may reuse and the review page may offer: not held for an editor's confirmation."""
        return self.filter(reusable=True)

    def held(self) -> "MemoryUnitQuerySet":
        """Units approved over a check error, waiting for an editor to confirm them."""
        return self.filter(reusable=False)

    def for_source(self, source_hash: str) -> "MemoryUnitQuerySet":
        """Units with this normalised English source, newest first (the latest approval wins)."""
        return self.filter(source_hash=source_hash).order_by("-created_at", "-id")


class MemoryUnit(models.Model):
    """One segment of approved (or imported) translation: an English source and its Chinese.

    The same pair is stored once (the first origin is kept); the same source with another
    Chinese is a second unit, and the newest reusable one is the one drafting reuses.

    A segment approved over a check error that touches it (the editor meant "publish this
    entry", not "reuse this sentence") is stored held: `reusable` false, `held_for` naming the
    checks, until an editor confirms it in the memory admin (translations.memory.memory_unit_confirm).
    """

    class Kind(models.TextChoices):
        TITLE = "title", _("title")
        ABSTRACT_SENTENCE = "abstract_sentence", _("abstract sentence")

    class Origin(models.TextChoices):
        APPROVED = "approved", _("approved revision")
        IMPORTED = "imported", _("imported (TMX)")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    source = models.TextField(_("English"))
    # sha256 of the normalised source (translations.segments.normalise): exact lookups use the index.
    source_hash = models.CharField(_("source hash"), max_length=64, editable=False)
    # Length of the normalised source: close matches look only at sources of a possible length.
    source_length = models.PositiveIntegerField(_("source length"), editable=False)
    target = models.TextField(_("Chinese"))
    target_hash = models.CharField(max_length=64, editable=False)
    origin = models.CharField(_("origin"), max_length=12, choices=Origin.choices)
    revision = models.ForeignKey(
        Revision, verbose_name=_("approved revision"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    paper = models.ForeignKey(
        "papers.Paper", verbose_name=_("paper"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    paper_version = models.PositiveIntegerField(_("paper version"), null=True, blank=True)
    # Where an imported unit came from (the TMX file's name) or an imported note.
    note = models.CharField(_("note"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    # False while the unit waits for an editor's confirmation: never reused, never offered.
    reusable = models.BooleanField(_("reusable"), default=True)
    # The error-severity checks the approval overrode on this segment (ids, as in translations.checks).
    held_for = models.JSONField(_("approved despite checks"), default=list, blank=True)
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("confirmed by"), null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)

    objects = MemoryUnitQuerySet.as_manager()

    class Meta:
        verbose_name = _("translation memory unit")
        verbose_name_plural = _("translation memory")
        ordering = ["-created_at", "-id"]
        constraints = [
            # Storing the same approval (or importing the same file) twice adds nothing.
            models.UniqueConstraint(fields=["kind", "source_hash", "target_hash"], name="memory_unit_pair_once"),
        ]
        indexes = [
            models.Index(fields=["source_hash"], name="memory_unit_source_hash"),
            models.Index(fields=["kind", "source_length"], name="memory_unit_kind_length"),
        ]
        permissions = [("confirm_memoryunit", _("Can confirm a held translation memory unit as reusable"))]

    def __str__(self) -> str:
        return f"{self.source[:60]} → {self.target[:30]}"
