"""Untrusted text written into the post's markdown, safe by construction for every reader of the post.

The post meets Python-Markdown (this site), kramdown with Liquid (a Jekyll site, GitHub
Pages) and people reading it as text. Rather than rely on one parser's quirks (a code
span the neutraliser trusted was plain text to kramdown), every character that any of
them gives a meaning is written as a numeric character reference, which all of them show
as the character and none of them interprets:

- `&` first, so text that looks like an entity (`&#106;avascript:`) stays text;
- `<` `>`: no raw HTML, autolink, comment or kramdown HTML block;
- `{` `}`: no Liquid (`{{ site.time }}`, `{% include %}`) and no kramdown attribute lists
  or extensions (`{: onclick=…}`, `{::nomarkdown}`);
- `[` `]` `(` after `]`: no links, images, footnotes or reference definitions, except the
  plain `[label](http…)` links a markdown field may keep;
- `` ` `` `~` `\\` `|` `$$`: no code spans or fenced blocks whose extent parsers disagree on
  (a fence opened in an abstract would swallow the reading), no backslash escapes, tables or
  kramdown math.

Titles and author names are text: `*` `_` `#` and line breaks are neutralised too, so
`$a*b*c$ \\[ z \\]` reads exactly so on every page. The abstract and the reading are
markdown: paragraphs, lists, `**bold**`, `*emphasis*` and http(s)/mailto links stay.
"""

from __future__ import annotations

import re

# The characters every reader of the post could take as syntax, as references they all show as text.
_ALWAYS = {"&": "&amp;", "<": "&lt;", ">": "&gt;", "{": "&#123;", "}": "&#125;", "[": "&#91;", "]": "&#93;",
           "`": "&#96;", "~": "&#126;", "\\": "&#92;", "|": "&#124;"}
# In text that must not be markdown at all (titles, names), emphasis and headings too.
_IN_PLAIN_TEXT = {**_ALWAYS, "*": "&#42;", "_": "&#95;", "#": "&#35;", "$": "&#36;"}
_ALWAYS_RE = re.compile("[" + re.escape("".join(_ALWAYS)) + "]")
_PLAIN_RE = re.compile("[" + re.escape("".join(_IN_PLAIN_TEXT)) + "]")
# kramdown reads $$…$$ as math (in a <script> with old kramdown); a single $ is only text.
_DOUBLE_DOLLAR_RE = re.compile(r"\$\$")

# A link a markdown field may keep (not an image: no `!` before it): a label without brackets, an http(s) or mailto address of
# plain URL characters (no quotes, spaces, braces, angle brackets or backslashes).
_SAFE_LINK_RE = re.compile(
    r"(?<!!)\[(?P<label>[^\[\]\n]{1,300})\]\((?P<url>(?:https?://|mailto:)[A-Za-z0-9\-._~:/?#@!$&'*+,;=%]+)\)"
)
_URL_UNSAFE_CHARS = re.compile(r"['*]")


def _escape_markdown_text(text: str) -> str:
    return _DOUBLE_DOLLAR_RE.sub("&#36;&#36;", _ALWAYS_RE.sub(lambda m: _ALWAYS[m.group(0)], text))


def plain_text(text: str) -> str:
    """A title or a name: one line, shown exactly as written wherever the post is read."""
    return _PLAIN_RE.sub(lambda m: _IN_PLAIN_TEXT[m.group(0)], " ".join(text.split()))


def markdown_text(text: str) -> str:
    """An abstract or a reading section: markdown for paragraphs, lists, emphasis and web links, nothing else."""
    parts, last = [], 0
    for link in _SAFE_LINK_RE.finditer(text):
        parts.append(_escape_markdown_text(text[last:link.start()]))
        url = _URL_UNSAFE_CHARS.sub(lambda m: f"%{ord(m.group(0)):02X}", link.group("url"))
        # `&` in a URL is written as &amp; (both renderers decode it in the href).
        parts.append(f"[{_escape_markdown_text(link.group('label'))}]({url.replace('&', '&amp;')})")
        last = link.end()
    parts.append(_escape_markdown_text(text[last:]))
    return "".join(parts)
