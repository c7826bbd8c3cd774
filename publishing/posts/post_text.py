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
- `` ` `` `~` `\\` `|` `_` `$$`: no code spans or fenced blocks whose extent parsers disagree on
  (a fence opened in an abstract would swallow the reading), no backslash escapes, tables or
  kramdown math.

Titles and author names are text: `*` `_` `#` and line breaks are neutralised too, so
`$a*b*c$ \\[ z \\]` reads exactly so on every page. The abstract and the reading are
markdown: paragraphs, lists (nested a few levels), `**bold**`, `*emphasis*` and http(s)/mailto
links stay; a line that would make a heading or a rule (a forged paper heading), list markers
stacked on one line, and deep indentation are text, and a field is cut at MAX_MARKDOWN_CHARS
(parsers slow down with length; `_` emphasis, cubic in kramdown, is text too).
"""

from __future__ import annotations

import re

# The characters every reader of the post could take as syntax, as references they all show as text.
_ALWAYS = {"&": "&amp;", "<": "&lt;", ">": "&gt;", "{": "&#123;", "}": "&#125;", "[": "&#91;", "]": "&#93;",
           "`": "&#96;", "~": "&#126;", "\\": "&#92;", "|": "&#124;", "_": "&#95;"}
# In text that must not be markdown at all (titles, names), emphasis and headings too.
_IN_PLAIN_TEXT = {**_ALWAYS, "*": "&#42;", "#": "&#35;", "$": "&#36;"}
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
_LOOKS_LIKE_ADDRESS_RE = re.compile(r"://|^www\.|^mailto:|@", re.I)


def _escape_markdown_text(text: str) -> str:
    return _DOUBLE_DOLLAR_RE.sub("&#36;&#36;", _ALWAYS_RE.sub(lambda m: _ALWAYS[m.group(0)], text))


# Direction overrides and isolates reorder what is around them (an author list, a title).
_BIDI_CONTROLS_RE = re.compile("[\u202a-\u202e\u2066-\u2069]")

# A field longer than any real abstract or reading section is cut: parsers slow down with length
# (Python-Markdown is quadratic on dense references) and a post must build in seconds.
MAX_MARKDOWN_CHARS = 20_000
# Lists nest at most this deep (by indentation): a parser recurses per level, and a few hundred
# levels crash Python-Markdown and kramdown alike. The reference post nests one level.
MAX_INDENT = 8

# Line structure neutralised before escaping, marked by private-use characters that the escaping
# leaves alone and that become character references afterwards.
_STRUCTURE_REFS = {"\ue000": "&#45;", "\ue001": "&#61;", "\ue002": "&#42;", "\ue003": "&#35;",
                   "\ue004": "&#43;", "\ue005": "&#46;", "\ue006": "&#41;"}
_MARKER_MARKS = {"-": "\ue000", "=": "\ue001", "*": "\ue002", "#": "\ue003", "+": "\ue004", ".": "\ue005",
                 ")": "\ue006", "_": "_"}
_PRIVATE_USE_RE = re.compile("[\ue000-\uf8ff]")
_LIST_MARKER = r"(?:[-*+]|\d{1,9}[.)])"
_NESTED_MARKERS_RE = re.compile(rf"^(?P<first>{_LIST_MARKER}[ \t]+)(?P<more>(?:{_LIST_MARKER}[ \t]+)+)")
# A line of only -, =, *, _ (a rule, or the underline that makes the line above a heading).
_TEX_SPAN_RE = re.compile(r"\$\$.+?\$\$|\$[^\s$][^$\n]*?\$|\\\(.+?\\\)|\\\[.+?\\\]", re.S)
_RULE_LINE_RE = re.compile(r"^[ \t]*[-=*_](?:[ \t]*[-=*_])*[ \t]*$")


def _mark(text: str) -> str:
    return "".join(_MARKER_MARKS.get(char, char) for char in text)


def _neutralise_line(line: str) -> str:
    """One line of a markdown field, with the structure that could reshape the post made text:
    headings, rules and setext underlines (a forged paper heading), list markers stacked on one
    line, and indentation past MAX_INDENT (nesting that crashes parsers)."""
    line = line.replace("\t", "    ")
    body = line.lstrip(" ")
    indent = min(len(line) - len(body), MAX_INDENT)
    if _RULE_LINE_RE.match(body):
        return " " * indent + _mark(body[0]) + body[1:]
    if body.startswith("#"):
        return " " * indent + _mark("#") + body[1:]
    stacked = _NESTED_MARKERS_RE.match(body)
    if stacked:
        body = stacked.group("first") + _mark(stacked.group("more")) + body[stacked.end():]
    return " " * indent + body


def plain_text(text: str) -> str:
    """A title or a name: one line, shown exactly as written wherever the post is read."""
    text = _BIDI_CONTROLS_RE.sub("", text)
    return _PLAIN_RE.sub(lambda m: _IN_PLAIN_TEXT[m.group(0)], " ".join(text.split()))


def markdown_text(text: str) -> str:
    """An abstract or a reading section: markdown for paragraphs, lists, emphasis and web links, nothing else."""
    text = _PRIVATE_USE_RE.sub("", _BIDI_CONTROLS_RE.sub("", text))
    if len(text) > MAX_MARKDOWN_CHARS:
        text = text[:MAX_MARKDOWN_CHARS] + " […]"
    text = "\n".join(_neutralise_line(line) for line in text.split("\n"))
    # Inside TeX, * is maths (a product), not emphasis.
    text = _TEX_SPAN_RE.sub(lambda m: m.group(0).replace("*", _MARKER_MARKS["*"]), text)
    return _with_structure_refs(_escaped_with_links(text))


def _with_structure_refs(text: str) -> str:
    return _PRIVATE_USE_RE.sub(lambda m: _STRUCTURE_REFS.get(m.group(0), ""), text)


def _escaped_with_links(text: str) -> str:
    parts, last = [], 0
    for link in _SAFE_LINK_RE.finditer(text):
        label = link.group("label").strip()
        if _LOOKS_LIKE_ADDRESS_RE.search(label) and label != link.group("url"):
            continue  # a label showing one address over a link to another is a lure: left as text
        parts.append(_escape_markdown_text(text[last:link.start()]))
        url = _URL_UNSAFE_CHARS.sub(lambda m: f"%{ord(m.group(0)):02X}", link.group("url"))
        # `&` in a URL is written as &amp; (both renderers decode it in the href).
        parts.append(f"[{_escape_markdown_text(link.group('label'))}]({url.replace('&', '&amp;')})")
        last = link.end()
    parts.append(_escape_markdown_text(text[last:]))
    return "".join(parts)
