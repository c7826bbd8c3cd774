"""The email edition's pages for readers: subscribe, confirm (the signed link), unsubscribe (one click).

A reader chooses the digests in one form (checkboxes; with one digest there is nothing to choose) and one
confirmation mail confirms them all. The unsubscribe link of a digest's mail leaves that digest (and the
page says which, and what the address still receives).

The answer to a subscription never says whether the address was known: every valid request gets
the same page. Requests are limited per client address and per mailbox (in the cache every web
process shares), so the form cannot be used to flood an inbox with confirmation mails. None of these
pages is cached.
"""

from __future__ import annotations

import functools
import hashlib
import ipaddress

from django import forms
from django.conf import settings
from django.core.cache import cache
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from delivery.subscribers import (
    SubscriptionError,
    confirmation_read,
    digests_categories,
    mailbox_key,
    subscriber_by_unsubscribe_token,
    subscriber_confirm,
    subscriber_subscribe,
    subscriber_unsubscribe,
)
from digests.models import Digest
from public.views import CONTENT_SECURITY_POLICY

# Subscription requests one client address may make in a window, and confirmation mails one email
# address may get in a window; past either, nothing is sent (and the client is told to wait).
REQUESTS_PER_CLIENT = (10, 600)
MAILS_PER_ADDRESS = (3, 3600)


def reader_form_view(view):
    """A reader's page with a form: GET and POST, the public site's strict policy, never cached."""
    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        return response
    return require_http_methods(["GET", "HEAD", "POST"])(never_cache(wrapped))


def _within_limit(kind: str, who: str, limit: tuple[int, int]) -> bool:
    """Take one of `who`'s `most` places; False when all are taken. A place frees itself `seconds` after
    it was taken, so no window of `seconds` holds more than `most` requests.

    The cache is shared by every web process (DIGEST_CACHE_URL). Each place is its own key, taken with
    `add`, which is atomic in every backend (an insert on the key in the database cache, SET NX in
    Redis): requests at the same moment in two processes never take the same place. A count read and
    written back (the database cache's incr) would let both through."""
    most, seconds = limit
    key = f"subscribe:{kind}:" + hashlib.sha256(who.encode()).hexdigest()[:32]
    return any(cache.add(f"{key}:{place}", 1, timeout=seconds) for place in range(most))


def client_key(address: str) -> str:
    """One key per client for rate limits: an IPv6 client is its /64 (one host usually holds the whole /64)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    return str(ipaddress.ip_network(f"{ip}/64", strict=False)) if ip.version == 6 else str(ip)


class SubscribeForm(forms.Form):
    email = forms.EmailField(label="邮箱地址", max_length=254,
                             error_messages={"required": "请填写邮箱地址。", "invalid": "请填写有效的邮箱地址。"})
    digests = forms.MultipleChoiceField(label="日报（可多选）", widget=forms.CheckboxSelectMultiple,
                                        error_messages={"required": "请至少选择一份日报。"})
    categories = forms.MultipleChoiceField(label="分类（不选即全部）", required=False,
                                           widget=forms.CheckboxSelectMultiple)
    wants_corrections = forms.BooleanField(label="已发布的日报更正后，也发送更正版", required=False)

    def __init__(self, *args, digest_slug: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.digest_rows = list(Digest.objects.all())
        if len(self.digest_rows) <= 1:  # one digest: nothing to choose, the form is as it always was
            del self.fields["digests"]
        else:
            self.fields["digests"].choices = [(digest.slug, digest.name) for digest in self.digest_rows]
            named = [digest.slug for digest in self.digest_rows if digest.slug == digest_slug]
            self.fields["digests"].initial = named or [self.digest_rows[0].slug]
        self.fields["categories"].choices = [(category, category)
                                             for category in digests_categories(self.digest_rows)]

    def clean(self):
        cleaned = super().clean()
        chosen = [digest for digest in self.digest_rows if digest.slug in cleaned.get("digests", ())]
        offered = set(digests_categories(chosen or self.digest_rows[:1]))
        if "categories" in cleaned and not offered.issuperset(cleaned["categories"]):
            self.add_error("categories", "所选分类不属于所选的日报。")
        return cleaned


def feed_links(request) -> list[dict]:
    """The site's feeds as a reader adds them to a feed reader: what each holds, its address in full."""
    def address(name: str, *args) -> str:
        return request.build_absolute_uri(reverse(name, args=args))
    links = [{"label": "全部分类", "atom": address("public:feed"), "json": address("public:feed_json"),
              "holds": "每天一条：当天全部论文的中文标题、摘要与详细解读"}]
    links += [{"label": category, "atom": address("public:category_feed", category),
               "json": address("public:category_feed_json", category), "holds": "每篇论文一条：中文标题与摘要"}
              for category in settings.DIGEST_CATEGORIES]
    return links


def _subscribe_page(request, form, *, status: int = 200, **context):
    """The 订阅 page: the email edition's form, and the feeds for readers who would rather not get mail."""
    return render(request, "public/subscribe.html", {"form": form, "feeds": feed_links(request), **context},
                  status=status)


@reader_form_view
def subscribe(request):
    form = SubscribeForm(request.POST if request.method == "POST" else None, digest_slug=request.GET.get("digest", ""))
    if request.method != "POST":
        return _subscribe_page(request, form)
    if not _within_limit("client", client_key(request.META.get("REMOTE_ADDR", "")), REQUESTS_PER_CLIENT):
        return _subscribe_page(request, form, too_many=True, status=429)
    if not form.is_valid():
        return _subscribe_page(request, form, status=400)
    try:
        mailbox = mailbox_key(form.cleaned_data["email"])
    except SubscriptionError:
        form.add_error("email", "请填写有效的邮箱地址。")
        return _subscribe_page(request, form, status=400)
    email = form.cleaned_data["email"]
    if _within_limit("address", mailbox, MAILS_PER_ADDRESS):
        try:
            subscriber_subscribe(email=email, categories=form.cleaned_data["categories"],
                                 wants_corrections=form.cleaned_data["wants_corrections"],
                                 digests=form.cleaned_data.get("digests"))
        except SubscriptionError as exc:
            form.add_error("email", str(exc))
            return _subscribe_page(request, form, status=400)
    return render(request, "public/subscribe_sent.html", {"hours": settings.DIGEST_EMAIL_CONFIRM_HOURS})


@reader_form_view
def subscribe_confirm(request, token: str):
    try:
        confirmation = confirmation_read(token)
        if request.method == "POST":
            subscriber = subscriber_confirm(token=token)
            return render(request, "public/subscribe_done.html", {"subscriber": subscriber})
    except SubscriptionError as exc:
        return render(request, "public/subscribe_link_refused.html", {"reason": str(exc)}, status=400)
    return render(request, "public/subscribe_confirm.html", {"confirmation": confirmation})


@csrf_exempt  # RFC 8058: mail clients POST `List-Unsubscribe=One-Click` without any token of ours
@reader_form_view
def unsubscribe(request, token: str):
    """Leave the digest the link names (`?digest=<slug>`; none: the first digest, as every link mailed
    before there were several)."""
    subscriber = subscriber_by_unsubscribe_token(token)
    slug = request.GET.get("digest", "")
    digest = Digest.objects.filter(slug=slug).first() if slug else Digest.objects.home()
    if subscriber is None or digest is None:
        return render(request, "public/subscribe_link_refused.html",
                      {"reason": "此退订链接无效，请检查邮件中的链接。"}, status=404)
    context = {"token": token, "digest": digest, "query": f"?digest={slug}" if slug else "",
               "several": Digest.objects.count() > 1}
    if request.method == "POST":
        unsubscribed = subscriber_unsubscribe(subscriber=subscriber, digest=digest)
        return render(request, "public/unsubscribe_done.html", {**context, "remaining": unsubscribed.remaining})
    remaining = list(subscriber.digests.all())
    if subscriber.is_unsubscribed or (remaining and digest not in remaining):
        # The link opened again: nothing left to do, and it says so.
        return render(request, "public/unsubscribe_done.html", {**context, "already": True, "remaining": remaining})
    return render(request, "public/unsubscribe.html", context)
