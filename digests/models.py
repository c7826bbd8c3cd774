"""Digests: the newsroom's publications, each with its own topic, rules, day and readers.

A digest says which announced papers are its own (categories, keywords, cross-lists), when its day
ends (the anchor, in its time zone), what its post is called and where its export goes. Papers and
their Chinese text belong to the newsroom and are shared; days, entries, publications, subscribers'
lists and webhooks belong to a digest. The first digest (the lowest id: the one an installation
migrated into, built from its settings) keeps the site's original URLs.
"""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

DEFAULT_TITLE_PATTERN = "arXiv Daily – {date}"
CATEGORY_RE = re.compile(r"[a-z]+(-[a-z]+)?(\.[A-Za-z]+(-[a-z]+)?)?")
# Slugs that would clash with the site's own paths under /d/<slug>/ or read as one.
RESERVED_SLUGS = {"admin", "static", "media", "d", "days", "papers", "categories", "search", "feed", "api"}


def _validate_categories(value) -> None:
    if not isinstance(value, list) or not value:
        raise ValidationError(_("Name at least one arXiv category, e.g. cs.SD."))
    wrong = [category for category in value if not isinstance(category, str) or not CATEGORY_RE.fullmatch(category)]
    if wrong:
        raise ValidationError(_("Not arXiv categories: %(wrong)s") % {"wrong": ", ".join(map(str, wrong))})


def _validate_words(value) -> None:
    if not isinstance(value, list) or not all(isinstance(word, str) and word.strip() for word in value):
        raise ValidationError(_("A list of words or phrases."))


def _validate_timezone(value: str) -> None:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError(_("%(zone)s is not a time zone (e.g. Asia/Shanghai).") % {"zone": value}) from None


def _validate_title_pattern(value: str) -> None:
    if "{date}" not in value:
        raise ValidationError(_("The title must hold {date}, where the day's date goes."))
    try:
        value.format(date="2026-01-09")
    except (KeyError, IndexError, ValueError):
        raise ValidationError(_("Only {date} may stand in braces.")) from None


class DigestQuerySet(models.QuerySet):
    def home(self) -> Digest:
        """The first digest: the one with today's URLs. Made from the settings if there is none (a fresh
        database whose rows a test emptied; the migration makes it on an installation)."""
        digest = self.order_by("pk").first()
        return digest if digest is not None else Digest.from_settings()


class Digest(models.Model):
    class CrossLists(models.TextChoices):
        INCLUDE = "include", _("new papers and cross-lists into its categories")
        PRIMARY_ONLY = "primary_only", _("only papers whose primary category is one of its own")
        NEW_ONLY = "new_only", _("new papers only, no cross-lists")

    slug = models.SlugField(_("slug"), max_length=40, unique=True,
                            help_text=_("Its address: /d/<slug>/ (the first digest also keeps the site's root)."))
    name = models.CharField(_("name"), max_length=100, unique=True)
    title_pattern = models.CharField(_("post title"), max_length=150, default=DEFAULT_TITLE_PATTERN,
                                     validators=[_validate_title_pattern],
                                     help_text=_("{date} stands for the day's date, as 2026-01-09."))
    description = models.TextField(_("description for readers"), blank=True)
    categories = models.JSONField(_("arXiv categories"), validators=[_validate_categories])
    include_keywords = models.JSONField(_("include keywords"), default=list, blank=True, validators=[_validate_words],
                                        help_text=_("If any, a paper's title or abstract must hold one of them."))
    exclude_keywords = models.JSONField(_("exclude keywords"), default=list, blank=True, validators=[_validate_words],
                                        help_text=_("A paper whose title or abstract holds one is left out."))
    cross_lists = models.CharField(_("cross-lists"), max_length=20, choices=CrossLists.choices,
                                   default=CrossLists.INCLUDE)
    anchor = models.TimeField(_("day ends at"), help_text=_("A day runs from this time on the day before to this "
                                                            "time on its date, in the digest's time zone."))
    time_zone = models.CharField(_("time zone"), max_length=60, validators=[_validate_timezone])
    export_dir = models.CharField(_("Jekyll posts folder"), max_length=500, blank=True,
                                  help_text=_("Where each published day's post is written (a Jekyll site's "
                                              "_posts); empty: not written."))
    position = models.PositiveSmallIntegerField(_("order on the home page"), default=0)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    objects = DigestQuerySet.as_manager()

    class Meta:
        verbose_name = _("digest")
        verbose_name_plural = _("digests")
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.slug in RESERVED_SLUGS:
            raise ValidationError({"slug": _("%(slug)s is one of the site's own paths.") % {"slug": self.slug}})

    @classmethod
    def from_settings(cls) -> Digest:
        """The first digest, as the settings describe the single digest the site was before."""
        defaults = {
            "name": settings.DIGEST_FIRST_NAME,
            "categories": list(settings.DIGEST_CATEGORIES),
            "include_keywords": list(settings.DIGEST_INCLUDE_KEYWORDS),
            "exclude_keywords": list(settings.DIGEST_EXCLUDE_KEYWORDS),
            "cross_lists": (cls.CrossLists.PRIMARY_ONLY if settings.DIGEST_PRIMARY_ONLY
                            else cls.CrossLists.NEW_ONLY if "cross" not in settings.DIGEST_ANNOUNCE_TYPES
                            else cls.CrossLists.INCLUDE),
            "anchor": settings.DIGEST_ANCHOR,
            "time_zone": settings.DIGEST_TIMEZONE,
            "export_dir": settings.DIGEST_JEKYLL_POSTS_DIR or "",
        }
        try:
            with transaction.atomic():
                digest, _created = cls.objects.get_or_create(slug=settings.DIGEST_FIRST_SLUG, defaults=defaults)
        except IntegrityError:  # made at the same moment by another process
            digest = cls.objects.get(slug=settings.DIGEST_FIRST_SLUG)
        return digest

    @cached_property
    def is_home(self) -> bool:
        """Whether this is the first digest (the site's root paths); asked of the database once per object
        (a list of every digest sets it for each without asking: public.digest_scope)."""
        return self.pk == Digest.objects.order_by("pk").values_list("pk", flat=True).first()

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    def post_title(self, date: dt.date) -> str:
        return self.title_pattern.format(date=f"{date:%Y-%m-%d}")

    @property
    def announce_types(self) -> tuple[str, ...]:
        """The announcement types the digest takes (arXiv's new, cross, replace, replace-cross)."""
        types = tuple(settings.DIGEST_ANNOUNCE_TYPES)
        if self.cross_lists == self.CrossLists.NEW_ONLY:
            return tuple(kind for kind in types if "cross" not in kind) or ("new",)
        return types


def home_digest_id() -> int:
    """The default of every row a digest owns, for code that names none: the first digest's."""
    return Digest.objects.home().pk


class DigestRole(models.Model):
    """Which digests a person works on, and in which role: an editor or chief editor acts only on the days,
    entries and publications of their digests. The Editor and Chief editor groups stay the bundles of
    permissions; a person's groups follow their roles (digests.roles), and in each digest the role's own
    group decides what they may do there (digests.access)."""

    class Role(models.TextChoices):
        EDITOR = "editor", _("editor")
        CHIEF = "chief", _("chief editor")

    # Each role's auth Group (made by publishing's migration 0003): the permissions it brings.
    GROUPS = {Role.EDITOR: "Editor", Role.CHIEF: "Chief editor"}

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("person"), on_delete=models.CASCADE,
                             related_name="digest_roles")
    digest = models.ForeignKey(Digest, verbose_name=_("digest"), on_delete=models.CASCADE, related_name="roles")
    role = models.CharField(_("role"), max_length=10, choices=Role.choices)
    created_at = models.DateTimeField(_("given"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("role in a digest")
        verbose_name_plural = _("roles in digests")
        ordering = ["digest", "user__username"]
        constraints = [models.UniqueConstraint(fields=["user", "digest"], name="one_role_per_person_and_digest")]

    def __str__(self) -> str:
        return f"{self.user}: {self.get_role_display()}, {self.digest}"


# The group of the people who manage the digests and who works on which (every digest is theirs to see).
SITE_EDITOR_GROUP = "Site editor"
