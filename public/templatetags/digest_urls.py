"""`{% digest_url 'day' day.date %}`: the page of the digest the template shows (its `digest`), the first
digest's root path when it has none (publishing.site_links.digest_path)."""

from django import template

from publishing.site_links import digest_path

register = template.Library()


@register.simple_tag(takes_context=True)
def digest_url(context, name: str, *args) -> str:
    return digest_path(context.get("digest"), name, *args)


@register.filter
def post_title(digest, date) -> str:
    """`{{ digest|post_title:date }}`: the digest's post title for a date (the first digest's with no digest)."""
    if not digest:
        from digests.models import DEFAULT_TITLE_PATTERN

        return DEFAULT_TITLE_PATTERN.format(date=f"{date:%Y-%m-%d}")
    return digest.post_title(date)


def _names_digest(digest) -> bool:
    """A page names its digest once the site has several (one digest: the pages as they always were)."""
    return bool(digest) and (getattr(digest, "several", False) or not digest.is_home)


@register.simple_tag(takes_context=True)
def digest_site_title(context) -> str:
    """The site's title, then the name of the page's digest when the site has several."""
    digest = context.get("digest")
    return f"{context.get('site_title', '')} · {digest.name}" if _names_digest(digest) else context.get("site_title", "")


@register.simple_tag(takes_context=True)
def names_digest(context) -> bool:
    return _names_digest(context.get("digest"))


@register.simple_tag
def digest_url_of(digest, name: str, *args) -> str:
    """`{% digest_url_of other 'archive' %}`: a page of a digest other than the page's own."""
    return digest_path(digest, name, *args)
