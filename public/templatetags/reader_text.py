"""Template filters for text readers see: titles with their TeX as MathML, safely."""

from django import template
from django.utils.safestring import mark_safe

from publishing.posts.rendering import text_with_math_html

register = template.Library()


@register.filter
def with_math(text: str) -> str:
    """Plain text (escaped), with `$…$` TeX as MathML; sanitised by the post's allow-list."""
    return mark_safe(text_with_math_html(text or ""))  # noqa: S308 (escaped, then cleaned by nh3)
