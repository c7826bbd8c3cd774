"""TeX in titles, abstracts and readings as MathML, made on the server: readers' pages run no script.

TeX (`$…$`, `$$…$$`, `\\(…\\)`, `\\[…\\]`) is found in the text of HTML (never inside tags, code
or pre) and converted with latex2mathml. Its output is not trusted (`\\text{<script>}` passes
through, `\\href` makes an attribute): the caller sanitises the result with MATHML_TAGS and
MATHML_ATTRIBUTES. TeX that latex2mathml cannot read, or reads only partly (unbalanced braces,
an unknown command), is shown as code, as written. The markdown post keeps the TeX as written.
"""

from __future__ import annotations

import html
import re

from latex2mathml.converter import convert as latex_to_mathml

MATHML_TAGS = {"math", "mrow", "mi", "mn", "mo", "ms", "mtext", "mspace", "msub", "msup", "msubsup", "mfrac",
               "msqrt", "mroot", "mover", "munder", "munderover", "mstyle", "mtable", "mtr", "mtd", "menclose",
               "mpadded", "mphantom", "semantics", "annotation"}
MATHML_ATTRIBUTES = {
    "math": {"display", "xmlns"},
    "mi": {"mathvariant"},
    "mn": {"mathvariant"},
    "mo": {"stretchy", "fence", "separator", "accent", "lspace", "rspace", "form", "movablelimits", "mathvariant"},
    "mover": {"accent"},
    "munder": {"accentunder"},
    "mfrac": {"linethickness"},
    "mspace": {"width"},
    "mstyle": {"displaystyle", "scriptlevel", "mathvariant"},
    "mtable": {"columnalign", "rowspacing", "columnspacing", "displaystyle"},
    "mtd": {"columnalign"},
    "menclose": {"notation"},
    "mpadded": {"width", "height", "depth", "lspace", "voffset"},
}

# $$display$$, $inline$ (no space just inside, so "$5 and $10" is not maths), \(inline\), \[display\].
_TEX_RE = re.compile(r"\$\$(?P<d1>.+?)\$\$|\$(?P<i1>[^\s$](?:[^$\n]*?[^\s$\\])?)\$|\\\((?P<i2>.+?)\\\)|\\\[(?P<d2>.+?)\\\]",
                     re.S)
_TAG_RE = re.compile(r"(<[^>]*>)")
_LITERAL_ELEMENTS = {"code", "pre"}
MAX_TEX_CHARS = 2000


def tex_spans(text: str) -> list[tuple[int, int]]:
    """Where the TeX of plain `text` is (start, end): what a caller cutting the text must keep whole."""
    return [match.span() for match in _TEX_RE.finditer(text)]


def _braces_balance(tex: str) -> bool:
    depth = 0
    for match in re.finditer(r"\\.|[{}]", tex):
        token = match.group(0)
        if token == "{":
            depth += 1
        elif token == "}":
            depth -= 1
            if depth < 0:
                return False
    return depth == 0


def tex_html(tex: str, *, display: bool) -> str:
    """MathML for `tex` (to be sanitised by the caller), or the TeX as code when it cannot be read."""
    mathml = ""
    if len(tex) <= MAX_TEX_CHARS and _braces_balance(tex):
        try:
            mathml = latex_to_mathml(tex, display="block" if display else "inline")
        except Exception:  # latex2mathml raises many kinds for what it cannot parse
            mathml = ""
    if not mathml or re.search(r">\\[A-Za-z]", mathml):  # an unknown command is left as text
        return f'<code class="tex">{html.escape(tex, quote=False)}</code>'
    return mathml


def _text_with_math(text_html: str) -> str:
    text = html.unescape(text_html)
    parts, last = [], 0
    for match in _TEX_RE.finditer(text):
        parts.append(html.escape(text[last:match.start()], quote=False))
        display = match.group("d1") is not None or match.group("d2") is not None
        tex = next(group for group in (match.group("d1"), match.group("i1"), match.group("i2"), match.group("d2"))
                   if group is not None)
        parts.append(tex_html(tex.strip(), display=display))
        last = match.end()
    if not parts:
        return text_html
    parts.append(html.escape(text[last:], quote=False))
    return "".join(parts)


def math_in_html(markup: str) -> str:
    """`markup` with the TeX in its text turned into MathML (unsanitised: clean it afterwards)."""
    pieces, literal_depth = [], 0
    for piece in _TAG_RE.split(markup):
        if piece.startswith("<"):
            name = re.match(r"</?\s*([A-Za-z0-9]+)", piece)
            if name and name.group(1).lower() in _LITERAL_ELEMENTS:
                literal_depth += -1 if piece.startswith("</") else 1
            pieces.append(piece)
        elif piece and literal_depth <= 0 and ("$" in piece or "\\" in piece or "&#92;" in piece or "&#36;" in piece):
            pieces.append(_text_with_math(piece))
        else:
            pieces.append(piece)
    return "".join(pieces)
