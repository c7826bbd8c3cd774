"""The email edition of a published version: rendered once per version and choice of categories, and
its deliveries made (one per receiving subscriber, once).

When a version goes live, `email_edition_prepare` makes one EmailDelivery per receiving subscriber
of the day's digest (a unique constraint: once per subscriber and version, whatever repeats), `skipped`
at once for a reader whose categories the day does not touch, and queues the sending (delivery.sending).
The mail is the digest's: its subject is the day's post title (the digest's title pattern), it names the
digest, its links go to the digest's pages and its unsubscribe link leaves that digest only.
"""

from __future__ import annotations

import logging
import math
import re
import secrets
import textwrap
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.message import sanitize_address
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django_q.tasks import async_task

from delivery.models import EmailDelivery, Subscriber
from delivery.outbox import BuiltMessage, MarkedBytes, smtp_data
from delivery.retries import BATCH_TASK, publications_come_due
from delivery.subscribers import unsubscribe_url
from publishing.models import Publication, PublishedPaper
from publishing.posts.rendering import render_markdown_safely
from publishing.site_links import digest_site_root

logger = logging.getLogger(__name__)

NO_PAPER_IN_CATEGORIES = "no paper of the day is in the subscriber's categories"


# --- The edition: rendered once per version and choice of categories ---------------------------

# Lines of a mail must stay under 998 bytes (RFC 5322); longer ones make Django encode the whole part
# as quoted-printable, three times the size for Chinese and slow to build. Kept short, the parts go
# out as 8bit text, and a subscriber's own bits can be put into the built message's bytes.
_HTML_LINE_BYTES = 800
_TEXT_WIDTH = 40  # characters: 80 columns of Chinese


def _wrapped(text: str) -> str:
    """Plain text wrapped to _TEXT_WIDTH characters a line (paragraphs and line breaks kept)."""
    return "\n".join(
        "\n".join(textwrap.wrap(line, width=_TEXT_WIDTH, break_on_hyphens=False)) or ""
        for line in text.replace("\r", "").split("\n"))


def _short_html_lines(html: str) -> str:
    """Break each HTML line longer than _HTML_LINE_BYTES with an empty comment around a line break
    (`<!--` newline `-->`), placed outside tags and character references, so nothing shows."""
    lines = []
    for line in html.split("\n"):
        while len(line.encode()) > _HTML_LINE_BYTES:
            cut = _safe_cut(line)
            if cut is None:
                break
            lines.append(line[:cut] + "<!--")
            line = "-->" + line[cut:]
        lines.append(line)
    return "\n".join(lines)


def _safe_cut(line: str) -> int | None:
    """The last index before _HTML_LINE_BYTES (less the comment's own bytes) outside a tag or reference."""
    size, in_tag, in_reference, best = 0, False, False, None
    for index, char in enumerate(line):
        if not in_tag and not in_reference and index > 3:
            best = index
        size += len(char.encode())
        if size > _HTML_LINE_BYTES - 8:
            break
        if char == "<":
            in_tag = True
        elif char == ">":
            in_tag = False
        elif char == "&" and not in_tag:
            in_reference = True
        elif char == ";" and in_reference:
            in_reference = False
    return best


@dataclass(frozen=True)
class EditionPaper:
    arxiv_id: str
    title: str
    title_zh: str
    authors: str
    abstract_html: str
    # The plain text part's forms, wrapped to short lines.
    title_text: str
    title_zh_text: str
    authors_text: str
    abstract_text: str
    categories: frozenset
    url: str


class Edition:
    """A publication as mail: subject, and the HTML and text bodies for each choice of categories,
    rendered once with a placeholder that `message_for` replaces by a subscriber's unsubscribe link."""

    def __init__(self, publication: Publication) -> None:
        day = publication.day
        digest = day.digest
        self.publication_id = publication.pk
        self.digest_id = digest.pk
        self.digest_name = digest.name
        self.correction = publication.version > 1
        self.date = day.date
        self.version = publication.version
        self.correction_note = _wrapped(" ".join(publication.correction_note.split()))
        self.subject = day.post_title + (f"（更正：第 {publication.version} 版）" if self.correction else "")
        # The digest's pages (the first digest's are the site's own) and the link that leaves this digest.
        root = digest_site_root(digest)
        self.day_url = root + reverse("public:day", args=[day.date])
        self.unsubscribe_digest = None if digest.is_home else digest
        self.papers = [
            EditionPaper(
                arxiv_id=row.arxiv_id, title=" ".join(row.title.split()), title_zh=" ".join(row.title_zh.split()),
                authors=" ".join(row.authors_text.split()), abstract_html=render_markdown_safely(row.abstract_zh),
                title_text=_wrapped(" ".join(row.title.split())), title_zh_text=_wrapped(" ".join(row.title_zh.split())),
                authors_text=_wrapped(" ".join(row.authors_text.split())),
                abstract_text=_wrapped(row.abstract_zh.strip()), categories=frozenset(row.categories),
                url=root + reverse("public:paper", args=[row.arxiv_id]),
            )
            for row in PublishedPaper.objects.filter(publication=publication).order_by("position")
        ]
        self.categories = frozenset().union(*(paper.categories for paper in self.papers))
        self.domain = urlsplit(settings.DIGEST_SITE_URL).hostname or "localhost"
        # Random per edition, so no text of a paper can contain it and be replaced.
        self.placeholder = f"UNSUBSCRIBE-{secrets.token_hex(16)}"
        self._to_mark = f"to-{secrets.token_hex(8)}@example.invalid".encode()
        self._id_mark = f"<id-{secrets.token_hex(8)}@example.invalid>".encode()
        self._marks = re.compile(b"(" + b"|".join(
            re.escape(mark) for mark in (self._to_mark, self._id_mark, self.placeholder.encode())) + b")")
        self.edition_from = settings.DEFAULT_FROM_EMAIL
        self._bodies: dict[frozenset, tuple[str, str] | None] = {}
        self._built: dict[frozenset, tuple[MarkedBytes, MarkedBytes] | None] = {}

    def papers_for(self, categories: frozenset) -> list[EditionPaper]:
        if not categories:
            return self.papers
        return [paper for paper in self.papers if paper.categories & categories]

    def bodies_for(self, categories: frozenset) -> tuple[str, str] | None:
        """(text, html) for readers of these categories (empty: all); None when the day has none of theirs."""
        if categories not in self._bodies:
            papers = self.papers_for(categories)
            if not papers:
                self._bodies[categories] = None
            else:
                context = {"edition": self, "papers": papers, "unsubscribe_url": self.placeholder,
                           "chosen": sorted(categories), "site_title": settings.DIGEST_SITE_TITLE,
                           "digest_name": self.digest_name}
                self._bodies[categories] = (
                    render_to_string("delivery/email/edition.txt", context),
                    _short_html_lines(render_to_string("delivery/email/edition.html", context)))
        return self._bodies[categories]

    def message_for(self, *, email: str, subscriber_id: int, categories_text: str,
                    unsubscribe_token: str) -> EmailMultiAlternatives | BuiltMessage | None:
        """The subscriber's message: the choice's message, built once, with their address, Message-ID and
        unsubscribe link put into its bytes. None: the day has no paper in their categories."""
        categories = frozenset(categories_text.split())
        if self.bodies_for(categories) is None:
            return None
        unsubscribe = unsubscribe_url(unsubscribe_token, self.unsubscribe_digest)
        message_id = f"<edition-{self.publication_id}-{subscriber_id}@{self.domain}>"
        built = self._built_for(categories)
        if built is None:  # the bodies would not go as 8bit text: Django builds this one whole
            return self._message(email, message_id, unsubscribe, categories)
        content, smtp = built
        bits = {self._to_mark: sanitize_address(email, settings.DEFAULT_CHARSET).encode(),
                self._id_mark: message_id.encode(), self.placeholder.encode(): unsubscribe.encode()}
        return BuiltMessage(content=content, smtp=smtp, bits=bits, subject=self.subject, from_email=self.edition_from,
                            to=email)

    def _message(self, email: str, message_id: str, unsubscribe: str, categories: frozenset) -> EmailMultiAlternatives:
        text, html = (body.replace(self.placeholder, unsubscribe) for body in self.bodies_for(categories))
        message = EmailMultiAlternatives(self.subject, text, self.edition_from, [email],
                                         headers={
                                             "List-Unsubscribe": f"<{unsubscribe}>",
                                             "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                                             # The same on every try: see the module's note on the one window.
                                             "Message-ID": message_id,
                                         })
        message.attach_alternative(html, "text/html")
        return message

    def _built_for(self, categories: frozenset) -> tuple[MarkedBytes, MarkedBytes] | None:
        """The choice's whole message, cut at the marks where a subscriber's bits go: as built, and as SMTP's
        DATA carries it (CRLF, dots doubled: made once here, not for each mail). None if a part would be
        encoded (quoted-printable or base64), which would hide the marks."""
        if categories not in self._built:
            message = self._message(self._to_mark.decode(), self._id_mark.decode(), self.placeholder, categories)
            content = message.message().as_bytes()
            in_bodies = sum(body.count(self.placeholder) for body in self.bodies_for(categories))
            marks_kept = (content.count(self.placeholder.encode()) == in_bodies + 1  # and List-Unsubscribe
                          and content.count(self._to_mark) == 1 and content.count(self._id_mark) == 1)
            # Dots are doubled here, once: a subscriber's bits never start a line (an address after "To: ",
            # an id after "Message-ID: ", a link inside a line), so filling them in cannot make a line to double.
            self._built[categories] = (
                MarkedBytes.cut(content, self._marks),
                MarkedBytes.cut(smtp_data(content.replace(b"\n", b"\r\n")), self._marks),
            ) if marks_kept else None
        return self._built[categories]


_EDITIONS: dict[tuple, Edition] = {}


def edition_for(publication_id: int) -> Edition:
    """Publications never change, so a worker keeps the last few editions it rendered (keyed also by
    the publication's time and the site's address and title, which the mail shows)."""
    publication = (Publication.objects.select_related("day__digest").defer("markdown", "html")
                   .get(pk=publication_id))
    digest = publication.day.digest
    key = (publication.pk, publication.published_at, settings.DIGEST_SITE_URL, settings.DIGEST_SITE_TITLE,
           digest.slug, digest.name, digest.title_pattern)
    if key not in _EDITIONS:
        while len(_EDITIONS) >= 4:
            _EDITIONS.pop(next(iter(_EDITIONS)))
        _EDITIONS[key] = Edition(publication)
    return _EDITIONS[key]


# --- Preparing and sending -------------------------------------------------------------


@dataclass(frozen=True)
class Prepared:
    pending: int
    skipped: int


def email_edition_prepare(*, publication: Publication) -> Prepared:
    """Make the deliveries of a version that went live (once: repeats make nothing) and queue the sending.

    Version 1 goes to every confirmed subscriber of the day's digest; a correction (version 2 and later)
    only to those of them who asked for corrections. A day not yet public (dated in the future) is not mailed.
    """
    if not publication.day.is_public:
        logger.info("email edition: %s is not public yet (dated in the future); not mailed", publication)
        return Prepared(0, 0)
    paper_categories = set()
    for text in PublishedPaper.objects.filter(publication=publication).values_list("categories_text", flat=True):
        paper_categories.update(text.split())
    receiving = Subscriber.objects.receiving(digest=publication.day.digest_id)
    if publication.version > 1:
        receiving = receiving.filter(wants_corrections=True)
    rows = []
    for subscriber_id, chosen in receiving.values_list("id", "categories_text").iterator(chunk_size=2000):
        touched = not chosen.split() or paper_categories.intersection(chosen.split())
        rows.append(EmailDelivery(
            subscriber_id=subscriber_id, publication=publication,
            status=EmailDelivery.Status.PENDING if touched else EmailDelivery.Status.SKIPPED,
            error="" if touched else NO_PAPER_IN_CATEGORIES,
        ))
    EmailDelivery.objects.bulk_create(rows, ignore_conflicts=True, batch_size=1000)
    pending = EmailDelivery.objects.filter(publication=publication, status=EmailDelivery.Status.PENDING).count()
    # As many chains of batches as workers could run at once (each task queues the next batch of its
    # chain); their claims never overlap.
    for _ in range(min(settings.Q_CLUSTER["workers"], math.ceil(pending / settings.DIGEST_EMAIL_BATCH_SIZE))):
        transaction.on_commit(lambda: async_task(BATCH_TASK, publication.pk, task_name=f"email-{publication.pk}"))
    made_pending = sum(row.status == EmailDelivery.Status.PENDING for row in rows)
    return Prepared(pending=made_pending, skipped=len(rows) - made_pending)


def email_editions_come_due(*, look_back_days: int = 7) -> int:
    """Mail the days published ahead of their date whose date has now come; return how many were prepared.

    Publishing such a day made no deliveries (it was not public yet); it is prepared now, once (its
    rows then exist). The delivery sweep calls this (delivery.schedule).
    """
    return publications_come_due(
        look_back_days=look_back_days,
        done=lambda publication: publication.email_deliveries.exists(),
        start=lambda publication: email_edition_prepare(publication=publication))
