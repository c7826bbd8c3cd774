"""Readable diffs between two versions of Chinese text: character by character (Chinese has no
spaces to split words on), escaped, with insertions and deletions marked.

A change is marked by more than colour: `<ins class="diff-ins">` / `<del class="diff-del">`,
underlined / struck through by the admin's CSS (templates/admin/base_site.html), each starting
with a visually hidden label ("插入" / "删除") that screen readers say."""

from __future__ import annotations

import re
from difflib import SequenceMatcher

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import pgettext


def diff_html(old: str, new: str) -> SafeString:
    """`<del>` for removed characters, `<ins>` for added ones; everything else escaped as is."""
    # Outside the f-strings, where makemessages would not find them.
    deleted_label, inserted_label = escape(pgettext("diff", "deleted")), escape(pgettext("diff", "inserted"))
    deleted = f'<del class="diff-del"><span class="visually-hidden">{deleted_label}</span>'
    inserted = f'<ins class="diff-ins"><span class="visually-hidden">{inserted_label}</span>'
    parts: list[str] = []
    matcher = SequenceMatcher(a=old, b=new, autojunk=False)
    for operation, old_start, old_end, new_start, new_end in matcher.get_opcodes():
        if operation == "equal":
            parts.append(escape(old[old_start:old_end]))
            continue
        if operation in ("delete", "replace"):
            parts.append(f"{deleted}{escape(old[old_start:old_end])}</del>")
        if operation in ("insert", "replace"):
            parts.append(f"{inserted}{escape(new[new_start:new_end])}</ins>")
    return mark_safe("".join(parts))


def changed_share(old: str, new: str) -> float:
    """Share of characters changed between two texts (0: identical, 1: nothing in common)."""
    if not old and not new:
        return 0.0
    matcher = SequenceMatcher(a=old, b=new, autojunk=False)
    return 1.0 - (2.0 * sum(block.size for block in matcher.get_matching_blocks())) / (len(old) + len(new))


def diff_words_html(old: str, new: str) -> SafeString:
    """Like `diff_html`, word by word: for English, where a changed word reads better whole."""
    deleted_label, inserted_label = escape(pgettext("diff", "deleted")), escape(pgettext("diff", "inserted"))
    deleted = f'<del class="diff-del"><span class="visually-hidden">{deleted_label}</span>'
    inserted = f'<ins class="diff-ins"><span class="visually-hidden">{inserted_label}</span>'
    old_words, new_words = re.split(r"(\s+)", old), re.split(r"(\s+)", new)
    parts: list[str] = []
    matcher = SequenceMatcher(a=old_words, b=new_words, autojunk=False)
    for operation, old_start, old_end, new_start, new_end in matcher.get_opcodes():
        if operation == "equal":
            parts.append(escape("".join(old_words[old_start:old_end])))
            continue
        if operation in ("delete", "replace"):
            parts.append(f"{deleted}{escape(''.join(old_words[old_start:old_end]))}</del>")
        if operation in ("insert", "replace"):
            parts.append(f"{inserted}{escape(''.join(new_words[new_start:new_end]))}</ins>")
    return mark_safe("".join(parts))
