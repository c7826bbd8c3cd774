from django.conf import settings


def site(request):
    return {"site_title": settings.DIGEST_SITE_TITLE, "site_categories": settings.DIGEST_CATEGORIES}
