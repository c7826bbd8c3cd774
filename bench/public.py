"""Benchmark: the public site at archive scale, on PostgreSQL.

    .venv/bin/python bench/public.py [--database-url postgres://postgres@127.0.0.1:5432/arxiv_digest_bench]
                                     [--days 3650] [--papers 60] [--rebuild] [--requests 40] [--seconds 10]

Steps: a database of its own (created if missing, kept between runs; --rebuild starts
over) filled with `days` published days of `papers` papers each, and the time the fill took
printed. Generated texts of the reference post's size for 40 days are rendered by the real
`render_day_markdown` and `render_post_html`; every other day has the papers of one of them
under its own date and ids, its pages exactly what the renderers make of it (checked on
sample days); days, publications, published papers and their category rows are written with
COPY (the review steps before publishing are not what is measured here).
Then, in this process through Django's test client with the cache cleared before every
request: the median and 95th-percentile time and the largest query count of the day page,
the archive page, a paper page, a Chinese and an English search, a category's first and last
page, a category with no papers (a 404), a category feed, the sitemap index and the first and
last page of each sitemap section. Then gunicorn serves
the site, and `ab` (apache2-utils; a Python client if it is missing) measures requests per
second of a day page beside a static file of the same bytes served by the same gunicorn.

Last, random days (not one URL asked again and again): every day page written as a file with its gzip
copy by the site's own code (public/archive_files/, as publishing does), then, side by side, in rounds,
requests per second over random days of (a) gunicorn rendering the pages (no files), (b) gunicorn
serving the files (the app's middleware), (c) the deploy recipe: nginx with deploy/nginx-archive.conf sending the files, in front of (b), and (d) a plain
nginx serving the same files (the static-file server to compare with);
as browsers ask (gzip) and without compression. The load comes from `wrk` (Debian's wrk) with
bench/archive_files_load.lua choosing a random day per request; a Python client when wrk is missing (it
then measures itself more than nginx, and says so).

Targets: each page ≤ 50 ms median and ≤ 10 queries; the day page within 3× of the
static file's throughput; the site as deployed (c) ≥ 0.8× the plain static-file server (d) over random days (best of the rounds;
the median is printed too); (b) against (d) is printed beside it.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import hashlib
import json
import logging
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/arxiv_digest_bench"
FIRST_DATE = dt.date(2016, 1, 1)
CATEGORIES = ["cs.SD", "eess.AS", "cs.LG", "cs.CL", "eess.SP", "cs.AI"]

EN_WORDS = (
    "audio speech music sound diffusion transformer vocoder codec neural network model learning self-supervised "
    "separation enhancement recognition synthesis spatial binaural emotion speaker language large benchmark dataset "
    "token streaming latency robust zero-shot contrastive representation acoustic event detection source room "
    "impulse response singing voice conversion denoising dereverberation beamforming microphone array keyword "
    "spotting multilingual pretraining evaluation perceptual quality metric generation text-to-speech alignment"
).split()
ZH_PHRASES = (
    "语音增强 语音识别 说话人 扩散模型 声码器 神经网络 自监督学习 音乐生成 声源分离 空间音频 情感识别 大语言模型 "
    "基准测试 数据集 低延迟 流式推理 零样本 对比学习 表征学习 声学事件检测 房间脉冲响应 歌声合成 语音转换 去噪 "
    "去混响 波束形成 麦克风阵列 关键词检测 多语言 预训练 主观评测 感知质量 文本到语音 对齐 实验表明 本文提出 "
    "显著提升 相比基线 在多个数据集上 计算开销 参数量 推理速度 鲁棒性 泛化能力"
).split()


def configure(database_url: str) -> None:
    os.environ.update({
        "DJANGO_SETTINGS_MODULE": "digest_site.settings",
        "DATABASE_URL": database_url,
        "DEBUG": "0",
        "SECRET_KEY": "bench-not-secret",
        "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "LOG_LEVEL": "warning",
    })


def ensure_database(database_url: str, rebuild: bool) -> None:
    import psycopg

    name = database_url.rsplit("/", 1)[1]
    admin_url = database_url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and rebuild:
            connection.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            exists = None
        if not exists:
            connection.execute(f'CREATE DATABASE "{name}"')


# -- generated content --------------------------------------------------------------------------

def _sentence_en(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(EN_WORDS) for _ in range(words)).capitalize() + "."


def _text_zh(rng: random.Random, chars: int) -> str:
    text = ""
    while len(text) < chars:
        text += "".join(rng.choice(ZH_PHRASES) for _ in range(rng.randint(3, 6))) + rng.choice("，。；")
    return text


def generated_paper(seed: int) -> dict:
    rng = random.Random(seed)
    def points(count: int, chars: int) -> str:
        lines = []
        for _ in range(count):
            lines.append(f"- **{rng.choice(ZH_PHRASES)}**：{_text_zh(rng, chars)}")
            if rng.random() < 0.3:
                lines.append(f"  - **{rng.choice(ZH_PHRASES)}**：{_text_zh(rng, chars // 2)}")
        return "\n".join(lines)
    return {
        "title": " ".join(rng.choice(EN_WORDS) for _ in range(rng.randint(6, 12))).title(),
        "authors": [f"Author{rng.randint(1, 5000)} Name{rng.randint(1, 5000)}" for _ in range(rng.randint(2, 8))],
        "categories": rng.sample(CATEGORIES, rng.randint(1, 3)),
        "abstract_en": " ".join(_sentence_en(rng, rng.randint(12, 25)) for _ in range(8)),
        "title_zh": _text_zh(rng, 20).rstrip("，。；"),
        "abstract_zh": _text_zh(rng, 350),
        "background_md": points(2, 80),
        "method_md": points(4, 90),
        "results_md": points(2, 90),
    }


def arxiv_id(number: int) -> str:
    return f"{1000 + number // 100000:04d}.{number % 100000:05d}"


# With --digests N, every date has N digest days: "day" n below is date n // N of digest n % N (in the
# digests' order), with its own papers (numbers n × papers …); with one digest, day n is date n.
DIGEST_COUNT = 1


def day_post(day_index: int, papers: int, texts: list[dict]):
    """The day's post (publishing.posts.markdown_export.DayPost) of these texts, under the day's date and ids."""
    from publishing.days.windows import digest_window
    from publishing.posts.markdown_export import DayPost, PaperPost

    date = FIRST_DATE + dt.timedelta(days=day_index // DIGEST_COUNT)
    window = digest_window(date)
    return DayPost(
        date=date, window_start=window.start, window_end=window.end, timezone_label="CST", timezone_name="北京时间",
        categories=["cs.SD", "eess.AS"], fetched=papers + 3, shown=papers,
        papers=[PaperPost(title=t["title"], authors=t["authors"], categories=t["categories"],
                          versioned_id=f"{arxiv_id(day_index * papers + n)}v1", abstract_zh=t["abstract_zh"],
                          background_md=t["background_md"], method_md=t["method_md"], results_md=t["results_md"])
                for n, t in enumerate(texts)],
    )


def render_day(args: tuple[int, int, int]) -> tuple[int, str, str, list[dict]]:
    """One day's papers, markdown and HTML (run in worker processes)."""
    import django
    django.setup()
    global DIGEST_COUNT
    from publishing.posts.markdown_export import render_day_markdown
    from publishing.posts.rendering import render_post_html

    day_index, papers, DIGEST_COUNT = args
    texts = [generated_paper(day_index * papers + n) for n in range(papers)]
    markdown = render_day_markdown(day_post(day_index, papers, texts))
    return day_index, markdown, render_post_html(markdown), texts


# -- filling the archive -------------------------------------------------------------------------

# Days of generated text rendered for the fill; every other day takes the papers of one of them
# (day n those of day n mod DISTINCT_DAYS) under its own date and arXiv ids. Rendering a day
# (Python-Markdown over 60 papers) takes about a second of CPU: rendering each of 3,650 days was
# most of the 51 minutes the fill took. A day's pages stay exactly what the renderer makes of its
# markdown (`DayPages`; checked on sample days after the fill).
DISTINCT_DAYS = 40
DAYS_PER_TRANSACTION = 100
_ARXIV_ID = re.compile(r"\d{4}\.\d{5}")


class DayPages:
    """The markdown and HTML of any day that has the papers of a rendered day (the template): the
    markdown is written anew (cheap), the HTML's header (date, window) rendered anew, and the rest of
    the HTML is the template's with the papers' ids changed (the texts, hence the rendering, are the same)."""

    def __init__(self, template_index: int, papers: int, html: str, texts: list[dict]) -> None:
        self.template_index, self.papers, self.texts = template_index, papers, texts
        header = self._header_html(day_post(template_index, papers, texts))
        if not html.startswith(header):
            raise SystemExit("the day's HTML does not start with its header's: the fill's shortcut no longer holds")
        self.tail = html[len(header):]

    @staticmethod
    def _header_html(post) -> str:
        from publishing.posts.markdown_export import render_day_markdown
        from publishing.posts.rendering import render_post_html

        return render_post_html(render_day_markdown(dataclasses.replace(post, papers=[])))

    def for_day(self, day_index: int) -> tuple[str, str]:
        from publishing.posts.markdown_export import render_day_markdown

        post = day_post(day_index, self.papers, self.texts)
        ids = {arxiv_id(self.template_index * self.papers + n): arxiv_id(day_index * self.papers + n)
               for n in range(self.papers)}
        return (render_day_markdown(post),
                self._header_html(post) + _ARXIV_ID.sub(lambda match: ids[match.group()], self.tail))


FILL_TABLES = ["papers.Paper", "publishing.DigestDay", "publishing.Publication", "publishing.PublishedPaper",
               "publishing.PublishedPaperCategory"]


@dataclasses.dataclass
class FillPlan:
    """What each writing process needs, sent to it once: the templates, their search vectors, and where
    each table's primary keys start. Day n's rows take the keys from first_pk + n × per_day (a few are
    left unused where a day has fewer category rows than the most), so the processes never share a counter."""

    days: int
    papers: int
    templates: list[DayPages]
    vectors: list[list[str]] | None
    chief_id: int
    chief_name: str
    now: dt.datetime
    first_pk: dict[str, int]
    per_day: dict[str, int]
    digest_ids: list[int]  # day n is digest_ids[n % len(digest_ids)]'s


_fill_plan: FillPlan | None = None


def _fill_process_start(plan: FillPlan) -> None:
    global _fill_plan, DIGEST_COUNT
    import django
    django.setup()
    _fill_plan, DIGEST_COUNT = plan, len(plan.digest_ids)


def copy_rows(model, objects: list, extra: tuple[str, list] | None = None) -> None:
    """Model rows written with PostgreSQL's COPY, every concrete field's value as Django would save it
    (defaults included). `extra`: a column the model does not declare (the search vector) and its values."""
    from django.db import connection

    fields = [field for field in model._meta.concrete_fields if not field.generated]
    names = [connection.ops.quote_name(field.column) for field in fields] + ([extra[0]] if extra else [])
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor, cursor.cursor.copy(f"COPY {table} ({', '.join(names)}) FROM STDIN") as copy:
        for n, row in enumerate(objects):
            values = [field.get_db_prep_save(field.pre_save(row, True), connection) for field in fields]
            copy.write_row(values + ([extra[1][n]] if extra else []))


def keyed(next_pk: dict, objects: list) -> list:
    """`objects` with their primary keys, counted on from `next_pk` (one counter per model)."""
    for row in objects:
        row.pk = next_pk[type(row)]
        next_pk[type(row)] += 1
    return objects


def write_days(first: int) -> int:
    """Days first… (DAYS_PER_TRANSACTION of them) in one transaction, in a writing process."""
    from django.apps import apps
    from django.db import connection, transaction

    from papers.models import Paper
    from publishing.days.windows import digest_window
    from publishing.models import DigestDay, Publication, PublishedPaper, PublishedPaperCategory

    plan, papers = _fill_plan, _fill_plan.papers
    models = [apps.get_model(label) for label in FILL_TABLES]
    rows = {model: [] for model in models}
    paper_vectors = []  # of rows[PublishedPaper], in its order
    for day_index in range(first, min(first + DAYS_PER_TRANSACTION, plan.days)):
        next_pk = {model: plan.first_pk[label] + day_index * plan.per_day[label]
                   for model, label in zip(models, FILL_TABLES)}
        template = plan.templates[day_index % len(plan.templates)]
        paper_vectors += plan.vectors[day_index % len(plan.templates)] if plan.vectors else []
        markdown, html = template.for_day(day_index)
        date = FIRST_DATE + dt.timedelta(days=day_index // len(plan.digest_ids))
        digest_id = plan.digest_ids[day_index % len(plan.digest_ids)]
        window = digest_window(date)
        paper_rows = keyed(next_pk, [
            Paper(arxiv_id=arxiv_id(day_index * papers + n), version=1, title=t["title"],
                  authors=[{"name": name, "affiliations": []} for name in t["authors"]],
                  primary_category=t["categories"][0], categories=t["categories"], abstract=t["abstract_en"],
                  published=window.start, updated=window.start)
            for n, t in enumerate(template.texts)
        ])
        day, publication = keyed(next_pk, [
            DigestDay(digest_id=digest_id, date=date, window_start=window.start, window_end=window.end,
                      status=DigestDay.Status.PUBLISHED),
            Publication(version=1, markdown=markdown, html=html,
                        content_hash=hashlib.sha256(markdown.encode()).hexdigest(), paper_count=papers,
                        published_by_id=plan.chief_id, published_by_name=plan.chief_name, published_at=plan.now),
        ])
        publication.day, day.live_publication = day, publication
        published = keyed(next_pk, [
            PublishedPaper(
                publication=publication, digest_id=day.digest_id, paper=paper, day_date=date, position=n + 1, live=True,
                arxiv_id=paper.arxiv_id, versioned_id=f"{paper.arxiv_id}v1", title=t["title"],
                authors_text=", ".join(t["authors"]), categories_text=f" {' '.join(t['categories'])} ",
                abstract_en=t["abstract_en"], title_zh=t["title_zh"], abstract_zh=t["abstract_zh"],
                background_md=t["background_md"], method_md=t["method_md"], results_md=t["results_md"],
                reading_md="\n\n".join((t["background_md"], t["method_md"], t["results_md"])),
            )
            for n, (paper, t) in enumerate(zip(paper_rows, template.texts))
        ])
        rows[Paper] += paper_rows
        rows[DigestDay].append(day)
        rows[Publication].append(publication)
        rows[PublishedPaper] += published
        rows[PublishedPaperCategory] += keyed(next_pk, PublishedPaperCategory.for_papers(published))
    with transaction.atomic():  # a day and its version refer to each other: checked at commit
        if plan.vectors:
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL session_replication_role = replica")
        for model in models:
            extra = ("search_vector", paper_vectors) if plan.vectors and model is PublishedPaper else None
            copy_rows(model, rows[model], extra)
    return len(rows[DigestDay])


def primary_keys_reset(models: list) -> None:
    from django.core.management.color import no_style
    from django.db import connection

    with connection.cursor() as cursor:
        for statement in connection.ops.sequence_reset_sql(no_style(), models):
            cursor.execute(statement)


def bench_digests(count: int) -> list[int]:
    """The first digest and count − 1 more (bench-2, bench-3, …: the same categories), their ids in order."""
    from digests.models import Digest

    home = Digest.objects.home()
    others = [Digest.objects.get_or_create(slug=f"bench-{n}", defaults={
        "name": f"Bench digest {n}", "categories": list(CATEGORIES), "anchor": home.anchor,
        "time_zone": home.time_zone, "position": n})[0] for n in range(2, count + 1)]
    return [home.pk] + [digest.pk for digest in others]


def populate(days: int, papers: int) -> None:
    """Fill the archive: DISTINCT_DAYS days rendered in worker processes, then every day's rows (days,
    versions with their markdown and HTML, papers, published papers and their category rows) written
    with COPY, DAYS_PER_TRANSACTION days a transaction; with DIGEST_COUNT digests, each date once per digest."""
    from django.apps import apps
    from django.contrib.auth import get_user_model
    from django.db import connection, connections
    from django.utils import timezone
    from tqdm import tqdm

    from publishing.models import DigestDay, PublishedPaper

    digest_ids = bench_digests(DIGEST_COUNT)
    dates, days = days, days * DIGEST_COUNT  # from here on, days are digest days
    if PublishedPaper.objects.filter(live=True).count() == days * papers and DigestDay.objects.count() == days:
        print(f"database already holds {days} published days × {papers} papers; reusing it (--rebuild to start over)")
        return
    if DigestDay.objects.exists():
        sys.exit("the benchmark database holds other data; run with --rebuild")
    chief, _ = get_user_model().objects.get_or_create(username="bench-chief")
    now = timezone.now()
    started = time.perf_counter()
    with ProcessPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        templates = [DayPages(day_index, papers, html, texts) for day_index, _, html, texts in pool.map(
            render_day, [(d, papers, DIGEST_COUNT) for d in range(min(days, DISTINCT_DAYS))])]
    rendered = time.perf_counter() - started
    # Each published paper's search vector is the database's own work (publishing migration 0028's
    # trigger) and most of the fill's time when computed 219,000 times; a day copied from a template has
    # the template's texts, hence its vectors: computed once per template paper by the same function,
    # then written with the rows while the trigger stands aside (session_replication_role = replica,
    # which needs a superuser; without one the trigger computes every vector, as a publish would).
    vectors = search_vectors(templates) if replica_role_allowed() else None
    # The GIN index of those vectors built once at the end, much faster than 219,000 inserts into it.
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'publishing_publishedpaper_search'")
        search_index = cursor.fetchone()[0]
        cursor.execute("DROP INDEX publishing_publishedpaper_search")
        first_pk = {}
        for label in FILL_TABLES:
            model = apps.get_model(label)
            cursor.execute(f"SELECT COALESCE(MAX({model._meta.pk.column}), 0) FROM {model._meta.db_table}")
            first_pk[label] = cursor.fetchone()[0] + 1
    most_categories = max(len(set(t["categories"])) for template in templates for t in template.texts)
    plan = FillPlan(days=days, papers=papers, templates=templates, vectors=vectors, chief_id=chief.pk,
                    chief_name=chief.username, now=now, first_pk=first_pk,
                    per_day={"papers.Paper": papers, "publishing.DigestDay": 1, "publishing.Publication": 1,
                             "publishing.PublishedPaper": papers,
                             "publishing.PublishedPaperCategory": papers * most_categories},
                    digest_ids=digest_ids)
    connections.close_all()  # the processes open their own
    # Processes, not threads: preparing each row's values is Python's work, and under one GIL two writing
    # threads kept PostgreSQL and the machine's second CPU half idle (load about 1.3 over the 6 minutes).
    with ProcessPoolExecutor(max_workers=os.cpu_count() or 2, initializer=_fill_process_start,
                             initargs=(plan,)) as writers, \
            tqdm(total=days, desc="publishing days", unit="day") as progress:
        for written in writers.map(write_days, range(0, days, DAYS_PER_TRANSACTION)):
            progress.update(written)
    primary_keys_reset([apps.get_model(label) for label in FILL_TABLES])
    with connection.cursor() as cursor:
        cursor.execute("SET maintenance_work_mem = '512MB'")
        cursor.execute(search_index)
    checked = check_days(days, papers, templates)
    took = time.perf_counter() - started
    target = "" if (days, papers) != (3650, 60) else \
        f"; target ≤ 5 minutes for 3,650 days × 60 papers: {'met' if took <= 300 else 'NOT met'}"
    spread = f" ({dates} dates × {DIGEST_COUNT} digests)" if DIGEST_COUNT > 1 else ""
    print(f"published {days} days{spread} × {papers} papers in {took:.0f} s "
          f"({rendered:.0f} s of it rendering {len(templates)} distinct days); {checked}{target}")


def replica_role_allowed() -> bool:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        allowed = cursor.fetchone()[0]
    if not allowed:
        print("not a superuser: the trigger computes every search vector (a slower fill)")
    return allowed


def search_vectors(templates: list[DayPages]) -> list[list[str]]:
    """Each template paper's search vector (as text), computed by the database's own function."""
    from django.db import connection

    vectors = []
    with connection.cursor() as cursor:
        for template in templates:
            cursor.execute(
                "SELECT digest_paper_search_vector(t.title, t.authors_text, t.abstract_en, t.title_zh, t.abstract_zh,"
                " t.reading_md)::text FROM ROWS FROM (jsonb_to_recordset(%s::jsonb) AS (title text, authors_text text,"
                " abstract_en text, title_zh text, abstract_zh text, reading_md text)) WITH ORDINALITY"
                " AS t(title, authors_text, abstract_en, title_zh, abstract_zh, reading_md, n) ORDER BY n", [json.dumps([published_texts(t) for t in template.texts])])
            vectors.append([row[0] for row in cursor.fetchall()])
    return vectors


def published_texts(t: dict) -> dict:
    """The texts of a published paper made of generated texts `t`, as the fill writes them."""
    return {"title": t["title"], "authors_text": ", ".join(t["authors"]), "abstract_en": t["abstract_en"],
            "title_zh": t["title_zh"], "abstract_zh": t["abstract_zh"],
            "reading_md": "\n\n".join((t["background_md"], t["method_md"], t["results_md"]))}


def check_days(days: int, papers: int, templates: list[DayPages], sample: int = 3) -> str:
    """A few filled days' markdown, HTML and search vectors against what the real renderers make of them."""
    from django.db import connection

    from publishing.models import Publication
    from publishing.posts.markdown_export import render_day_markdown
    from publishing.posts.rendering import render_post_html

    indexes = random.Random(days).sample(range(days), min(sample, days))
    for day_index in indexes:
        publication = Publication.objects.get(day__date=FIRST_DATE + dt.timedelta(days=day_index // DIGEST_COUNT),
                                              day__digest_id=bench_digests(DIGEST_COUNT)[day_index % DIGEST_COUNT])
        texts = templates[day_index % len(templates)].texts
        if (publication.markdown != render_day_markdown(day_post(day_index, papers, texts))
                or publication.html != render_post_html(publication.markdown)):
            raise SystemExit(f"{publication.day.date}: its pages are not what the renderers make of its texts")
    with connection.cursor() as cursor:  # vectors written with the rows: the same as the trigger's
        cursor.execute("SELECT count(*) FROM publishing_publishedpaper WHERE day_date = ANY(%s) AND search_vector IS "
                       "DISTINCT FROM digest_paper_search_vector(title, authors_text, abstract_en, title_zh, "
                       "abstract_zh, reading_md)", [[FIRST_DATE + dt.timedelta(days=n // DIGEST_COUNT) for n in indexes]])
        if cursor.fetchone()[0]:
            raise SystemExit("search vectors differ from what the database's trigger computes")
    return f"{len(indexes)} sample days identical to what the renderers and the search trigger make"


# -- measurements --------------------------------------------------------------------------------

def measure_pages(days: int, papers: int, requests: int, position: int = 0) -> list[tuple[str, float, float, int]]:
    """The page kinds of the digest at `position` (the first's at the root paths, another's under /d/<slug>/)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from digests.models import Digest
    from public.page_cache import public_cache_clear
    from public.sitemaps import SITEMAPS
    from public.views import CATEGORY_PAPERS_PER_PAGE
    from publishing.models import PublishedPaperCategory

    digest = Digest.objects.get(pk=bench_digests(DIGEST_COUNT)[position])
    at = "" if position == 0 else f"/d/{digest.slug}"
    rng = random.Random(7)
    client = Client()
    category_pages = {
        category: -(-PublishedPaperCategory.objects.public(digest).filter(category=category).count() // CATEGORY_PAPERS_PER_PAGE)
        for category in CATEGORIES
    }
    sitemap_pages = {section: sitemap(digest).paginator.num_pages for section, sitemap in SITEMAPS.items()}

    def digest_paper() -> str:  # one of this digest's papers: day (date × digests + position) × papers + n
        return arxiv_id((rng.randrange(days) * DIGEST_COUNT + position) * papers + rng.randrange(papers))

    pages = {
        "day page": lambda: f"{at}/days/{FIRST_DATE + dt.timedelta(days=rng.randrange(days)):%Y-%m-%d}/",
        "archive page": lambda: f"{at}/?page={rng.randint(1, max(1, days // 31))}",
        "paper page": lambda: f"{at}/papers/{digest_paper()}/",
        "search (Chinese)": lambda: f"{at}/search/?q=" + urllib.request.quote(rng.choice(["语音增强", "声码器", "房间脉冲响应", "歌声合成"])),
        "search (English)": lambda: f"{at}/search/?q=" + urllib.request.quote(rng.choice(["speech enhancement", "vocoder", "binaural", "keyword spotting"])),
        "category, first page": lambda: f"{at}/categories/{rng.choice(CATEGORIES)}/",
        # The last page reads the whole category before it: the deepest a reader can go.
        "category, last page": lambda: at + "/categories/{0}/?page={1}".format(*rng.choice(list(category_pages.items()))),
        # Allowed by the URL, absent from the archive: the page says so, with a 404.
        "category, no papers": lambda: f"{at}/categories/{rng.choice(['math.AG', 'hep-th', 'q-bio.NC', 'cs.CV'])}/",
        "category feed": lambda: f"{at}/categories/{rng.choice(CATEGORIES)}/feed/",
        "sitemap index": lambda: f"{at}/sitemap.xml",
        "sitemap days, p. 1": lambda: f"{at}/sitemap-days.xml",
        "sitemap days, last": lambda: f"{at}/sitemap-days.xml?p={sitemap_pages['days']}",
        "sitemap papers, p. 1": lambda: f"{at}/sitemap-papers.xml",
        "sitemap papers, last": lambda: f"{at}/sitemap-papers.xml?p={sitemap_pages['papers']}",
    }
    expected_status = {"category, no papers": 404}
    logging.getLogger("django.request").setLevel(logging.ERROR)  # not a warning per expected 404
    rows = []
    for name, url_of in pages.items():
        timings, most_queries = [], 0
        client.get(url_of())  # warm this code path
        for _ in range(requests):
            url = url_of()
            public_cache_clear()
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                response = client.get(url)
                timings.append((time.perf_counter() - started) * 1000)
            if response.status_code != expected_status.get(name, 200):
                raise SystemExit(f"{url} answered {response.status_code}")
            most_queries = max(most_queries, len(queries))
        timings.sort()
        rows.append((name, statistics.median(timings), timings[int(len(timings) * 0.95) - 1], most_queries))
    return rows


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def python_load(url: str, seconds: float, concurrency: int) -> float:
    done, stop = [0], time.monotonic() + seconds
    lock = threading.Lock()

    def worker():
        while time.monotonic() < stop:
            with urllib.request.urlopen(url) as response:
                response.read()
            with lock:
                done[0] += 1
    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return done[0] / (time.monotonic() - started)


def requests_per_second(url: str, seconds: float, concurrency: int) -> tuple[float, str]:
    if shutil.which("ab"):
        output = subprocess.run(["ab", "-q", "-t", str(seconds), "-n", "1000000", "-c", str(concurrency), url],
                                capture_output=True, text=True, check=True).stdout
        failed = int(re.search(r"Failed requests:\s+(\d+)", output).group(1))
        non_2xx = re.search(r"Non-2xx responses:\s+(\d+)", output)
        if failed or non_2xx:
            raise SystemExit(f"ab saw failures against {url}:\n{output}")
        return float(re.search(r"Requests per second:\s+([\d.]+)", output).group(1)), "ab"
    return python_load(url, seconds, concurrency), "python threads"


def measure_throughput(days: int, seconds: float, recheck: str) -> tuple[float, float, int, str]:
    date = FIRST_DATE + dt.timedelta(days=days // 2)
    static_dir = Path(tempfile.mkdtemp(prefix="bench-static-"))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    workers = str((os.cpu_count() or 2) * 2 + 1)
    env = {**os.environ, "BENCH_STATIC_DIR": str(static_dir), "DIGEST_PUBLIC_RECHECK_SECONDS": recheck}
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "bench.static_beside:application", "--bind", f"127.0.0.1:{port}",
         "--workers", workers, "--log-level", "warning", "--chdir", str(REPO_ROOT)],
        env=env, start_new_session=True,
    )
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{base}/robots.txt").read()
                break
            except OSError:
                time.sleep(0.2)
        day_url = f"{base}/days/{date:%Y-%m-%d}/"
        page = urllib.request.urlopen(day_url).read()
        (static_dir / "day.html").write_bytes(page)
        static_url = f"{base}/bench-static/day.html"
        assert urllib.request.urlopen(static_url).read() == page
        concurrency = 8
        day_rps, client = requests_per_second(day_url, seconds, concurrency)
        static_rps, _ = requests_per_second(static_url, seconds, concurrency)
        return day_rps, static_rps, len(page), client
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        shutil.rmtree(static_dir, ignore_errors=True)


# -- random days: the app serving the archive's files beside nginx serving the same files ----------------

def archive_day_files(days: int, root: Path) -> list[str]:
    """Every day page written as the site writes it when a day is published; the list of their URLs."""
    from tqdm import tqdm

    from digests.models import Digest
    from public.archive_files.pages import day_urls
    from public.archive_files.rendering import PageRenderer
    from public.archive_files.services import urls_sync

    first = Digest.objects.home()
    urls = [day_urls(first, FIRST_DATE + dt.timedelta(days=index))[0] for index in range(days)]
    renderer = PageRenderer()
    with tqdm(total=len(urls), desc="day pages as files", unit="page") as progress:
        urls_sync(urls, root=root, renderer=renderer, progress=progress.update)
    return urls


def start_gunicorn(port: int, archive_dir: str) -> subprocess.Popen:
    env = {**os.environ, "DIGEST_STATIC_ARCHIVE_DIR": archive_dir}
    return subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "digest_site.wsgi", "--bind", f"127.0.0.1:{port}",
         "--workers", str((os.cpu_count() or 2) * 2 + 1), "--log-level", "warning", "--chdir", str(REPO_ROOT)],
        env=env, start_new_session=True)


def start_nginx(port: int, root: Path, workdir: Path, *, app_port: int | None) -> subprocess.Popen | None:
    """nginx over `root`: with the deploy recipe's archive locations (deploy/nginx-archive.conf) in front of the
    app on `app_port`, or, with no app, as a plain static-file server (the reference)."""
    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if not nginx:
        return None
    workdir.mkdir(exist_ok=True)
    for temp in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (workdir / temp).mkdir(exist_ok=True)
    temps = " ".join(f"{temp}_temp_path {workdir / temp};" for temp in ("proxy", "fastcgi", "uwsgi", "scgi"))
    if app_port is None:
        server = "location / { gzip_static on; try_files ${uri}index.html $uri =404; }"
    else:
        server = (f"include {REPO_ROOT / 'deploy' / 'nginx-archive.conf'};\n"
                  f"    location @app {{ proxy_pass http://127.0.0.1:{app_port}; proxy_set_header Host $http_host; }}")
    (workdir / "nginx.conf").write_text(
        f"daemon off; worker_processes auto; pid {workdir / 'nginx.pid'}; error_log {workdir / 'error.log'};\n"
        "events { worker_connections 1024; }\n"
        f"http {{ access_log off; sendfile on; tcp_nopush on; default_type text/html; client_body_temp_path {workdir / 'body'}; {temps}\n"
        f"  server {{ listen 127.0.0.1:{port}; root {root};\n    {server} }} }}\n")
    command = [nginx, "-p", str(workdir), "-c", str(workdir / "nginx.conf")]
    subprocess.run([*command, "-t", "-q"], check=True)
    return subprocess.Popen(command, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def wait_until_up(url: str) -> None:
    for _ in range(150):
        try:
            urllib.request.urlopen(url).read()
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"{url} did not answer")


def random_days_per_second(base: str, paths_file: Path, seconds: float, gzip: bool) -> tuple[float, str]:
    headers = {"Accept-Encoding": "gzip"} if gzip else {}
    if shutil.which("wrk"):
        command = ["wrk", "-t", "2", "-c", "8", "-d", f"{seconds:g}s", "--timeout", "30s", "-s", str(REPO_ROOT / "bench" / "archive_files_load.lua")]
        for name, value in headers.items():
            command += ["-H", f"{name}: {value}"]
        output = subprocess.run([*command, base], capture_output=True, text=True, check=True,
                                env={**os.environ, "BENCH_PATHS": str(paths_file)}).stdout
        if re.search(r"Non-2xx or 3xx responses: (\d+)|Socket errors: .*timeout [1-9]", output):
            raise SystemExit(f"wrk saw failures against {base}:\n{output}")
        return float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)), "wrk"
    paths = paths_file.read_text().split()
    done, stop, lock = [0], time.monotonic() + seconds, threading.Lock()

    def worker(seed: int):
        rng = random.Random(seed)
        while time.monotonic() < stop:
            with urllib.request.urlopen(urllib.request.Request(base + rng.choice(paths), headers=headers)) as response:
                response.read()
            with lock:
                done[0] += 1
    threads = [threading.Thread(target=worker, args=(seed,)) for seed in range(8)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return done[0] / (time.monotonic() - started), "python threads (the client is the bound: install wrk)"


def same_bytes_everywhere(bases: dict[str, str], root: Path, paths: list[str]) -> None:
    """Each server answers a sample of days with the file's bytes and the views' type, plain and gzip."""
    import gzip as gzip_module

    from public.archive_files.pages import content_type_of, file_of

    for path in random.Random(3).sample(paths, min(5, len(paths))):
        expected = file_of(root, path).read_bytes()
        for name, base in bases.items():
            with urllib.request.urlopen(base + path) as response:
                assert response.read() == expected, (name, path)
                assert response.headers["Content-Type"] == content_type_of(path), (name, response.headers["Content-Type"])
            request = urllib.request.Request(base + path, headers={"Accept-Encoding": "gzip"})
            with urllib.request.urlopen(request) as response:
                assert response.headers.get("Content-Encoding") == "gzip", (name, path)
                assert gzip_module.decompress(response.read()) == expected, (name, path)


def measure_archive_files(days: int, seconds: float, rounds: int) -> dict:
    root = Path(tempfile.mkdtemp(prefix="bench-archive-"))
    root.chmod(0o755)  # nginx's workers (nobody when run as root) read the files
    workdir = Path(tempfile.mkdtemp(prefix="bench-nginx-"))
    servers = []
    try:
        paths = archive_day_files(days, root)
        paths_file = workdir / "paths.txt"
        paths_file.write_text("\n".join(paths) + "\n")
        ports = {name: free_port() for name in ("views", "files", "deploy", "nginx")}
        servers.append(start_gunicorn(ports["views"], "off"))
        servers.append(start_gunicorn(ports["files"], str(root)))
        for name, app_port in (("deploy", ports["files"]), ("nginx", None)):
            nginx = start_nginx(ports[name], root, workdir / name, app_port=app_port)
            if nginx is None:
                raise SystemExit("no nginx (Debian's nginx-light): the static-file server to compare with")
            servers.append(nginx)
        bases = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
        for base in bases.values():
            wait_until_up(base + paths[0])
        same_bytes_everywhere({"files": bases["files"], "deploy": bases["deploy"]}, root, paths)
        results = {(name, gzip): [] for name in bases for gzip in (True, False)}
        client = ""
        for _ in range(rounds):  # in turn, so a burst of load from elsewhere falls on all of them alike
            for gzip in (True, False):
                for name, base in bases.items():
                    rps, client = random_days_per_second(base, paths_file, seconds, gzip)
                    results[(name, gzip)].append(rps)
        size = file_of_size(root, paths)
        return {"results": results, "client": client, "days": len(paths), "size": size}
    finally:
        for server in servers:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
        shutil.rmtree(root, ignore_errors=True)
        shutil.rmtree(workdir, ignore_errors=True)


def file_of_size(root: Path, paths: list[str]) -> tuple[float, float]:
    from public.archive_files.pages import file_of

    plain = [file_of(root, path).stat().st_size for path in paths]
    zipped = [file_of(root, path).with_suffix(".html.gz").stat().st_size for path in paths]
    return statistics.mean(plain), statistics.mean(zipped)


def print_archive_files(measured: dict, seconds: float) -> bool:
    results, (plain, zipped) = measured["results"], measured["size"]
    print(f"\nRandom days over {measured['days']} day pages ({plain / 1024:.0f} KiB, gzip {zipped / 1024:.0f} KiB), "
          f"{len(results[('nginx', True)])} rounds of {seconds:g} s each, 8 connections ({measured['client']}); "
          f"gunicorn {(os.cpu_count() or 2) * 2 + 1} sync workers, nginx worker_processes auto, {os.cpu_count()} CPUs")
    print(f"{'what':<58} {'best r/s':>9} {'median':>9} {'÷ nginx best':>13} {'÷ nginx median':>15}")
    met, app_alone = True, []
    for gzip in (True, False):
        nginx = results[("nginx", gzip)]
        for name, label in (("views", "gunicorn alone, pages rendered by the views"),
                            ("files", "gunicorn alone, serving the files (its middleware)"),
                            ("deploy", "the deploy recipe: nginx-archive.conf before gunicorn"),
                            ("nginx", "plain nginx serving the same files")):
            runs = results[(name, gzip)]
            best, median = max(runs), statistics.median(runs)
            ratio_best, ratio_median = best / max(nginx), median / statistics.median(nginx)
            print(f"{label + (', gzip' if gzip else ', plain'):<58} {best:>9.0f} {median:>9.0f} "
                  f"{ratio_best:>12.2f}× {ratio_median:>14.2f}×")
            if name == "deploy":
                met = met and ratio_best >= 0.8
            if name == "files":
                app_alone.append(ratio_best)
    print(f"target: the site as deployed (deploy recipe) ≥ 0.8× the static-file server over random days "
          f"(best of rounds) → {'met' if met else 'not met'}")
    print(f"        gunicorn alone serving the files: {min(app_alone):.2f}–{max(app_alone):.2f}× "
          f"→ {'met' if min(app_alone) >= 0.8 else 'not met'} without a proxy in front")
    return met


def print_digest_pages(options, by_position: dict[int, list]) -> None:
    print(f"\nPublic pages, {DIGEST_COUNT} digests × {options.days} published days × {options.papers} papers "
          f"({DIGEST_COUNT * options.days * options.papers:,} published papers), PostgreSQL, {options.requests} "
          "requests each, cache cleared before each request")
    print(f"{'page':<20} {'first digest (/) ms':>20} {'last digest (/d/…) ms':>22} {'queries':>8}   "
          "target ≤ 50 ms median, ≤ 10 queries")
    first, last = by_position[0], by_position[DIGEST_COUNT - 1]
    for (name, median, _p95, queries), (_, other_median, _p, other_queries) in zip(first, last):
        worst_queries = max(queries, other_queries)
        verdict = "ok" if max(median, other_median) <= 50 and worst_queries <= 10 else "MISSED"
        print(f"{name:<20} {median:>20.1f} {other_median:>22.1f} {worst_queries:>8}   {verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL))
    parser.add_argument("--days", type=int, default=3650)
    parser.add_argument("--papers", type=int, default=60)
    parser.add_argument("--digests", type=int, default=1,
                        help="digests, each with every date (e.g. 5 with --papers 12: the same rows as one digest × 60)")
    parser.add_argument("--rebuild", action="store_true", help="drop the benchmark database and fill it again")
    parser.add_argument("--requests", type=int, default=40, help="timed requests per page kind")
    parser.add_argument("--seconds", type=float, default=10, help="length of each throughput run")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of the random-day comparison")
    parser.add_argument("--fill-only", action="store_true", help="fill the database, print the time it took, stop")
    parser.add_argument("--files-only", action="store_true",
                        help="only the random-day comparison of the archive's files (not the pages' timings)")
    options = parser.parse_args()
    if not options.database_url.startswith(("postgres://", "postgresql://")):
        parser.error("the benchmark runs on PostgreSQL: --database-url postgres://…")

    global DIGEST_COUNT
    DIGEST_COUNT = max(1, options.digests)
    configure(options.database_url)
    ensure_database(options.database_url, options.rebuild)
    import django
    from django.core.management import call_command
    django.setup()
    call_command("migrate", verbosity=0)
    populate(options.days, options.papers)
    if options.fill_only:
        return
    from django.db import connection
    with connection.cursor() as cursor:
        # Fresh statistics, and the visibility map PostgreSQL needs to answer from an index alone
        # (autovacuum sees to both on a running site; a migration may just have filled a table).
        cursor.execute("VACUUM ANALYZE")

    if options.files_only:
        print_archive_files(measure_archive_files(options.days, options.seconds, options.rounds), options.seconds)
        return
    if DIGEST_COUNT > 1:
        print_digest_pages(options, {position: measure_pages(options.days, options.papers, options.requests, position)
                                     for position in (0, DIGEST_COUNT - 1)})
        return  # the throughput and archive-files comparisons are the one-digest run's
    pages = measure_pages(options.days, options.papers, options.requests)
    default_recheck = measure_throughput(options.days, options.seconds, "1")
    every_request = measure_throughput(options.days, options.seconds, "0")

    print(f"\nPublic pages, {options.days} published days × {options.papers} papers, PostgreSQL, "
          f"{options.requests} requests each, cache cleared before each request")
    print(f"{'page':<20} {'median ms':>10} {'p95 ms':>8} {'queries':>8}   target ≤ 50 ms, ≤ 10 queries")
    for name, median, p95, queries in pages:
        verdict = "ok" if median <= 50 and queries <= 10 else "MISSED"
        print(f"{name:<20} {median:>10.1f} {p95:>8.1f} {queries:>8}   {verdict}")
    size, client = default_recheck[2], default_recheck[3]
    print(f"\nThroughput under gunicorn ({(os.cpu_count() or 2) * 2 + 1} sync workers, {os.cpu_count()} CPUs), "
          f"{options.seconds:.0f} s each, 8 concurrent clients ({client}), {size / 1024:.0f} KiB body")
    print(f"{'what':<58} {'requests/s':>10} {'static ÷ it':>11}")
    for label, (day_rps, static_rps, _, _) in (
        ("day page, live version rechecked each 1 s (the default)", default_recheck),
        ("day page, live version asked of the database every time", every_request),
    ):
        print(f"{label:<58} {day_rps:>10.0f} {static_rps / day_rps:>10.2f}×")
        print(f"{'  static file of the same bytes, same gunicorn':<58} {static_rps:>10.0f}")
    ratio = default_recheck[1] / default_recheck[0]
    print(f"target: the day page within 3× of the static file → {ratio:.2f}× {'ok' if ratio <= 3 else 'MISSED'}")
    print_archive_files(measure_archive_files(options.days, options.seconds, options.rounds), options.seconds)


if __name__ == "__main__":
    main()
