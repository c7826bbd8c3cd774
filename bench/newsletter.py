"""Benchmark: the email edition of a 60-paper day for 10,000 subscribers.

    .venv/bin/python bench/newsletter.py [--papers 60] [--subscribers 10000] [--send 2000] [--rounds 4]
                                         [--database-url postgres://postgres@127.0.0.1:5432/arxiv_digest_newsletter]

Steps: a fresh SQLite database in a temporary folder (or the database named by --database-url, which
is flushed: give it one of its own); one published day of `--papers` generated papers (the texts of
bench/public.py, the real markdown and HTML); `--subscribers` confirmed subscribers, seven in ten
taking every category and the rest one to three of them. Then, timed:

1. prepare: the deliveries of the version (`email_edition_prepare`, one row per subscriber);
2. render: the edition once per choice of categories (`Edition.bodies_for`);
3. build: every subscriber's message, as bytes ready for SMTP (`Edition.message_for` and
   `message().as_bytes()`), without sending;
4. for comparison, rendering the templates and building the message with Django for each subscriber
   instead (a sample of 100, scaled up);
5. send: `--send` of the deliveries through the real batches (claims, SMTP, the rows marked), in
   this one process, to an aiosmtpd sink on 127.0.0.1 running in another process; side by side, in
   `--rounds` alternating rounds against the same sink, plain `smtplib` sending the same messages
   (built beforehand, as Django's SMTP backend would hand them over) over one connection, with no
   database: the pace of the server, which the batches are measured against.

Targets: render + build for all subscribers within 60 s on this project's 2-CPU machine (the sending
tasks share it with the mail server); the render-once path at least 5× faster than rendering per
subscriber; sending through the batches at least 90 % of plain smtplib's rate to the same server.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import importlib.util
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))


SINK = """
import sys
from tests.smtp_server import SmtpServer
sink = SmtpServer(parse=False).start()
print(sink.port, flush=True)
sys.stdin.read()
sink.stop()
print(len(sink.received))
"""


def _bench_public():
    # bench/public.py by path: `public` is also the site's app.
    spec = importlib.util.spec_from_file_location("bench_public", REPO_ROOT / "bench" / "public.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def configure(database_url: str | None, var_dir: str) -> None:
    os.environ.update({
        "DJANGO_SETTINGS_MODULE": "digest_site.settings", "DEBUG": "0", "SECRET_KEY": "bench-not-secret",
        "DIGEST_VAR_DIR": var_dir, "LOG_LEVEL": "warning", "DIGEST_SITE_URL": "https://digest.example.org",
        "EMAIL_BACKEND": "smtp", "DIGEST_EMAIL_BATCH_SIZE": "200",
        "DIGEST_CATEGORIES": "cs.SD,eess.AS,cs.LG,cs.CL,eess.SP,cs.AI",
    })
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    else:
        os.environ.pop("DATABASE_URL", None)


def ensure_database(database_url: str) -> None:
    import psycopg

    name = database_url.rsplit("/", 1)[1]
    with psycopg.connect(database_url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as connection:
        if not connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            connection.execute(f'CREATE DATABASE "{name}"')


def populate(papers: int, subscribers: int):
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from delivery.models import Subscriber, Subscription
    from papers.models import Paper
    from publishing.days.windows import digest_window
    from publishing.models import DigestDay, Publication, PublishedPaper

    bench_public = _bench_public()
    day_index, markdown, html, texts = bench_public.render_day((3650, papers))
    date = bench_public.FIRST_DATE + dt.timedelta(days=day_index)
    window = digest_window(date)
    chief, _ = get_user_model().objects.get_or_create(username="bench-chief")
    paper_rows = Paper.objects.bulk_create([
        Paper(arxiv_id=bench_public.arxiv_id(n), version=1, title=t["title"],
              authors=[{"name": name, "affiliations": []} for name in t["authors"]],
              primary_category=t["categories"][0], categories=t["categories"], abstract=t["abstract_en"],
              published=window.start, updated=window.start)
        for n, t in enumerate(texts)
    ])
    day = DigestDay.objects.create(date=date, window_start=window.start, window_end=window.end,
                                   status=DigestDay.Status.PUBLISHED)
    publication = Publication.objects.create(
        day=day, version=1, markdown=markdown, html=html, content_hash=hashlib.sha256(markdown.encode()).hexdigest(),
        paper_count=papers, published_by=chief, published_by_name=chief.username, published_at=timezone.now())
    PublishedPaper.objects.bulk_create([
        PublishedPaper(publication=publication, digest_id=day.digest_id, paper=paper, day_date=date, position=n + 1,
                       live=True, arxiv_id=paper.arxiv_id, versioned_id=f"{paper.arxiv_id}v1", title=t["title"],
                       authors_text=", ".join(t["authors"]), categories_text=f" {' '.join(t['categories'])} ",
                       abstract_en=t["abstract_en"], title_zh=t["title_zh"], abstract_zh=t["abstract_zh"],
                       background_md=t["background_md"], method_md=t["method_md"], results_md=t["results_md"],
                       reading_md="\n\n".join((t["background_md"], t["method_md"], t["results_md"])))
        for n, (paper, t) in enumerate(zip(paper_rows, texts))
    ])
    DigestDay.objects.filter(pk=day.pk).update(live_publication=publication)
    rng = random.Random(13)
    categories = ["cs.SD", "eess.AS", "cs.LG", "cs.CL", "eess.SP", "cs.AI"]
    Subscriber.objects.bulk_create([
        Subscriber(email=f"reader{n}@example.org", status=Subscriber.Status.CONFIRMED, confirmed_at=timezone.now(),
                   unsubscribe_token=hashlib.sha256(f"bench{n}".encode()).hexdigest()[:43],
                   categories_text="" if rng.random() < 0.7 else f" {' '.join(rng.sample(categories, rng.randint(1, 3)))} ")
        for n in range(subscribers)
    ], batch_size=2000)
    Subscription.objects.bulk_create([Subscription(subscriber_id=pk, digest_id=day.digest_id)
                                      for pk in Subscriber.objects.values_list("pk", flat=True)], batch_size=2000)
    return Publication.objects.select_related("day").get(pk=publication.pk)


def plain_smtplib_send(port: int, messages: list[tuple[str, str, bytes]]) -> float:
    """Seconds plain smtplib takes to send `messages` (sender, recipient, bytes) over one connection."""
    import smtplib

    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port) as connection:
        for sender, recipient, content in messages:
            connection.sendmail(sender, [recipient], content)
    return time.perf_counter() - started


def send_side_by_side(edition, publication, send: int, rounds: int, port: int) -> tuple[int, float, int, float]:
    """Send `send` deliveries through the batches and the same messages with plain smtplib, in
    alternating rounds (so both meet the same load on a shared machine); (sent, seconds) for each."""
    from django.conf import settings
    from django.core.mail.message import sanitize_address

    from delivery.models import EmailDelivery
    from delivery.sending import email_deliveries_send_all

    pending = EmailDelivery.objects.filter(publication=publication, status=EmailDelivery.Status.PENDING)
    chosen = list(pending.order_by("id").select_related("subscriber")[:send])
    # Every row waits (due in 2999) until its round lets it go.
    pending.update(next_try_at=dt.datetime(2999, 1, 1, tzinfo=dt.timezone.utc))
    sender = sanitize_address(settings.DEFAULT_FROM_EMAIL, settings.DEFAULT_CHARSET)
    sent = plain_sent = 0
    seconds = plain_seconds = 0.0
    per_round = -(-len(chosen) // rounds)
    for start in range(0, len(chosen), per_round):
        deliveries = chosen[start:start + per_round]
        messages = []
        for delivery in deliveries:
            subscriber = delivery.subscriber
            message = edition.message_for(email=subscriber.email, subscriber_id=subscriber.pk,
                                          categories_text=subscriber.categories_text,
                                          unsubscribe_token=subscriber.unsubscribe_token)
            messages.append((sender, subscriber.email, message.message().as_bytes(linesep="\r\n")))
        plain_seconds += plain_smtplib_send(port, messages)
        plain_sent += len(messages)
        EmailDelivery.objects.filter(pk__in=[delivery.pk for delivery in deliveries]).update(next_try_at=None)
        started = time.perf_counter()
        result = email_deliveries_send_all(publication_id=publication.pk)
        seconds += time.perf_counter() - started
        assert result.sent == len(deliveries), result
        sent += result.sent
    return sent, seconds, plain_sent, plain_seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--papers", type=int, default=60)
    parser.add_argument("--subscribers", type=int, default=10_000)
    parser.add_argument("--send", type=int, default=2000, help="deliveries to send to the local sink (0: none)")
    parser.add_argument("--rounds", type=int, default=4,
                        help="alternating rounds of the batches and plain smtplib that --send is split into")
    parser.add_argument("--database-url", help="a database of its own (flushed); default: a temporary SQLite file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-newsletter-") as var_dir:
        configure(args.database_url, var_dir)
        if args.database_url:
            ensure_database(args.database_url)
        import django

        django.setup()
        from django.conf import settings
        from django.core.mail import EmailMultiAlternatives
        from django.core.management import call_command
        from django.template.loader import render_to_string

        call_command("migrate", verbosity=0)
        if args.database_url:
            call_command("flush", interactive=False, verbosity=0)
        from delivery.edition import Edition, email_edition_prepare
        from delivery.models import EmailDelivery, Subscriber

        publication = populate(args.papers, args.subscribers)
        print("populated", flush=True)
        rows = []

        started = time.perf_counter()
        prepared = email_edition_prepare(publication=publication)
        print(f"prepared in {time.perf_counter() - started:.1f} s", flush=True)
        rows.append(("prepare (deliveries made)", time.perf_counter() - started, prepared.pending + prepared.skipped))

        started = time.perf_counter()
        edition = Edition(publication)
        subscribers = list(Subscriber.objects.filter(
            deliveries__publication=publication, deliveries__status=EmailDelivery.Status.PENDING)
            .values_list("pk", "email", "categories_text", "unsubscribe_token"))
        choices = {frozenset(text.split()) for _, _, text, _ in subscribers}
        for choice in choices:
            edition.bodies_for(choice)
        render_seconds = time.perf_counter() - started
        rows.append((f"render once per choice ({len(choices)} choices)", render_seconds, len(choices)))

        started = time.perf_counter()
        size = 0
        for pk, address, text, token in subscribers:
            message = edition.message_for(email=address, subscriber_id=pk, categories_text=text,
                                          unsubscribe_token=token)
            size += len(message.message().as_bytes())
        build_seconds = time.perf_counter() - started
        print(f"built in {build_seconds:.1f} s", flush=True)
        rows.append(("build every message (bytes for SMTP)", build_seconds, len(subscribers)))

        sample = subscribers[:100]
        started = time.perf_counter()
        for pk, address, text, token in sample:
            context = {"edition": edition, "papers": edition.papers_for(frozenset(text.split())),
                       "unsubscribe_url": token, "chosen": sorted(text.split()), "site_title": settings.DIGEST_SITE_TITLE}
            bodies = (render_to_string("delivery/email/edition.txt", context),
                      render_to_string("delivery/email/edition.html", context))
            message = EmailMultiAlternatives(edition.subject, bodies[0], settings.DEFAULT_FROM_EMAIL, [address],
                                             headers={"List-Unsubscribe": f"<{token}>"})
            message.attach_alternative(bodies[1], "text/html")
            message.message().as_bytes()
        naive = (time.perf_counter() - started) * len(subscribers) / len(sample)
        rows.append(("(render + build per subscriber, scaled)", naive, len(subscribers)))

        sent = 0
        if args.send:
            # The sink in a process of its own, so it does not share this one's interpreter lock.
            sink = subprocess.Popen([sys.executable, "-c", SINK], cwd=REPO_ROOT, stdin=subprocess.PIPE,
                                    stdout=subprocess.PIPE, text=True)
            settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", int(sink.stdout.readline())
            sent, send_seconds, plain_sent, plain_seconds = send_side_by_side(
                edition, publication, args.send, max(args.rounds, 1), settings.EMAIL_PORT)
            received, _ = sink.communicate("")
            assert sent == plain_sent == min(args.send, len(subscribers)), (sent, plain_sent)
            assert int(received) == sent + plain_sent, (sent, plain_sent, received)
            rows.append(("send through batches to a local SMTP sink", send_seconds, sent))
            rows.append(("(the same messages with plain smtplib)", plain_seconds, plain_sent))

    database = "PostgreSQL" if args.database_url else "SQLite"
    print(f"\nEmail edition benchmark: {args.papers} papers, {args.subscribers} subscribers, {database}; "
          f"{len(subscribers)} to mail, {prepared.skipped} skipped (no paper in their categories)\n")
    print(f"{'step':<44} | {'seconds':>8} | {'items':>6} | {'ms per item':>11}")
    print("-" * 79)
    for name, seconds, items in rows:
        print(f"{name:<44} | {seconds:8.2f} | {items:6d} | {seconds * 1000 / max(items, 1):11.3f}")
    pace_met = True
    if sent:
        rate, plain_rate = sent / send_seconds, plain_sent / plain_seconds
        pace_met = rate >= 0.9 * plain_rate
        print(f"\nsending: {rate:.0f} messages/s through batches of "
              f"{settings.DIGEST_EMAIL_BATCH_SIZE} (claim, SMTP, each row marked sent); plain smtplib to the same "
              f"server: {plain_rate:.0f} messages/s ({args.rounds} alternating rounds)")
        print(f"Target (sending ≥ 90 % of plain smtplib's rate): {rate / plain_rate:.0%} → "
              f"{'met' if pace_met else 'NOT met'}")
    print(f"mean message size: {size / max(len(subscribers), 1) / 1024:.1f} KiB")
    total = render_seconds + build_seconds
    met = total <= 60 and naive >= 5 * total
    print(f"render + build for every subscriber: {total:.2f} s; both per subscriber would take {naive:.1f} s "
          f"({naive / total:.1f}×)")
    print(f"Target (render + build ≤ 60 s; render once ≥ 5× faster than per subscriber): {'met' if met else 'NOT met'}")


if __name__ == "__main__":
    main()
