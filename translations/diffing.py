"""Readable diffs between two versions of Chinese text: character by character (Chinese has no
spaces to split words on), escaped, with insertions and deletions marked."""

from __future__ import annotations

from difflib import SequenceMatcher

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe


def diff_html(old: str, new: str) -> SafeString:
    """`<del>` for removed characters, `<ins>` for added ones; everything else escaped as is."""
    parts: list[str] = []
    matcher = SequenceMatcher(a=old, b=new, autojunk=False)
    for operation, old_start, old_end, new_start, new_end in matcher.get_opcodes():
        if operation == "equal":
            parts.append(escape(old[old_start:old_end]))
            continue
        if operation in ("delete", "replace"):
            parts.append(f"<del>{escape(old[old_start:old_end])}</del>")
        if operation in ("insert", "replace"):
            parts.append(f"<ins>{escape(new[new_start:new_end])}</ins>")
    return mark_safe("".join(parts))


def changed_share(old: str, new: str) -> float:
    """Share of characters changed between two texts (0: identical, 1: nothing in common)."""
    if not old and not new:
        return 0.0
    matcher = SequenceMatcher(a=old, b=new, autojunk=False)
    return 1.0 - (2.0 * sum(block.size for block in matcher.get_matching_blocks())) / (len(old) + len(new))
