"""The links check: a URL or e-mail address in the Chinese text that the paper never gave.

A link reaches readers in the site, the post and the mail once the text is approved. One the paper
gave (its code, its project page, its authors' addresses) is fine; any other was made up by the model
or injected (a paper's text can tell the model to add "enter your password at https://evil.example"),
and nothing else would stop it: an error, for an editor to remove or confirm.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from django.utils.translation import gettext_lazy as _

from translations.checks.base import ERROR, CheckInput, Finding, register

# Where a link stops: white space, brackets and quotes, and Chinese punctuation.
_STOP = r"\s<>\"'`（）【】「」『』《》〈〉，。；：、！？“”‘’"
# What readers' software (a browser, a mail client, a chat) shows as a link, or a reader could type:
# an address with a scheme; www.…; an e-mail address; a bare host name with a path (evil.example/phish).
# Each starts only where no word goes on before it, and the host's labels are taken possessively, so a
# long run of letters and dots is one linear scan.
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_LINK_RE = re.compile(
    rf"(?P<url>(?<![a-z0-9+.-])(?:https?|ftp)://[^{_STOP}]+|(?<![a-z0-9.-])www\.[^{_STOP}]+)"
    rf"|(?P<email>(?<![a-z0-9._%+-])[a-z0-9._%+-]++@(?:{_LABEL}\.)++[a-z]{{2,24}}(?![a-z0-9-]))"
    rf"|(?P<bare>(?<![a-z0-9._%+@/-])(?:{_LABEL}\.)++[a-z]{{2,24}}/[^{_STOP}]*)",
    re.IGNORECASE,
)
_TRAILING = ".,;:!?)]}*_~"  # punctuation (and markdown emphasis) closing a sentence, not part of a link
# A list of authors' names sharing one domain, as papers write them: {alice,bob}@uni.edu.
_EMAIL_GROUP_RE = re.compile(r"\{([a-z0-9._%+,\s-]{1,500})\}@((?:" + _LABEL + r"\.)++[a-z]{2,24})", re.IGNORECASE)


def _key(link: str) -> str:
    """A link as compared: lower case, without its scheme, `mailto:`, `www.` and closing slash."""
    link = re.sub(r"^(?:[a-z][a-z0-9+.-]*://|mailto:)", "", link.lower())
    return link.removeprefix("www.").rstrip("/")


def links_in(text: str) -> Iterator[tuple[int, int, str, str]]:
    """(start, end, kind, link) of each link in `text`; kind is `email` or `url`."""
    for match in _LINK_RE.finditer(text):
        link = match.group(0).rstrip(_TRAILING)
        if link.count("(") < link.count(")"):  # [text](https://…) : the markdown's closing bracket
            link = link[: link.rindex(")")].rstrip(_TRAILING)
        if link:
            yield match.start(), match.start() + len(link), "email" if match["email"] else "url", link


def _given(source: CheckInput) -> str:
    """The paper's own text and metadata as links are looked for in it: lower case, `www.` dropped,
    and `{alice,bob}@uni.edu` written out as each address."""
    text = "\n".join([source.source_text, source.metadata]).lower()
    text = _EMAIL_GROUP_RE.sub(
        lambda match: " ".join(f"{name.strip()}@{match[2]}" for name in match[1].split(",") if name.strip()), text)
    return re.sub(r"(?<![a-z0-9-])www\.", "", text)


def _is_given(key: str, given: str) -> bool:
    """Whether the paper gives this link (or a longer one it is the start of: its repository's page)."""
    return re.search(rf"(?<![a-z0-9._%+-]){re.escape(key)}(?![a-z0-9_-])", given) is not None


@register(
    id="link_unverified",
    name=_("Link not in the paper"),
    severity=ERROR,
    description=_("A URL or e-mail address in the Chinese text that the paper's title, abstract, comments, journal "
                  "reference, DOI and full text never give: it would reach readers unchecked, and may have been "
                  "made up by the model or injected through the paper's text."),
)
def link_unverified(source: CheckInput) -> Iterator[Finding]:
    given = None
    for name, text in source.text.items():
        for start, end, kind, link in links_in(text or ""):
            given = _given(source) if given is None else given
            if not _is_given(_key(link), given):
                what = "邮箱地址" if kind == "email" else "链接"
                yield Finding("link_unverified", name, start, end,
                              f"{what} {link} 不在论文原文与元数据中，请核对（可能是编造或注入的）")
