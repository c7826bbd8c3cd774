"""Requests carrying a NUL character are answered 400 before any view or database sees them.

PostgreSQL refuses NUL in text (psycopg raises DataError), so a NUL that reaches a query is a
500 on PostgreSQL, and no URL, admin parameter or cookie of this site ever holds one:

- the path, everywhere (`/unsubscribe/a%00b/`: URL tokens are looked up in the database);
- cookies, everywhere (a quoted cookie's `\\000` escape is a NUL: the session key is looked up);
- the query string, in the admin, which hands any parameter to the ORM (list filters, search,
  ordering, date hierarchy). The public pages read only their own few parameters and deal with
  control characters themselves (the search drops them, so `?q=voc%00oder` still searches).

Form fields are Django's: a CharField refuses NUL (ProhibitNullCharactersValidator).
"""

from __future__ import annotations

from django.core.exceptions import BadRequest
from django.urls import reverse

NUL = "\x00"


def _holds_nul(pairs) -> bool:
    return any(NUL in key or any(NUL in value for value in values) for key, values in pairs)


def nul_problem(request) -> str:
    """Where the request carries a NUL, or ""."""
    if NUL in request.path:
        return "a NUL character in the path"
    if _holds_nul((name, [value]) for name, value in request.COOKIES.items()):
        return "a NUL character in a cookie"
    if request.path.startswith(reverse("admin:index")) and _holds_nul(request.GET.lists()):
        return "a NUL character in the query"
    return ""


class RefuseNulMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        problem = nul_problem(request)
        if problem:
            raise BadRequest(problem)
        return self.get_response(request)
