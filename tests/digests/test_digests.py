"""A digest as editors make it (add_digest, the model's checks) and what it names (post titles)."""

import datetime as dt
from io import StringIO

import pytest
import yaml
from django.core.management import CommandError, call_command

from digests.models import Digest
from publishing.posts.markdown_export import DayPost, render_day_markdown


def add(*args) -> str:
    out = StringIO()
    call_command("add_digest", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_add_digest_makes_a_digest_with_the_first_digests_day_end():
    home = Digest.objects.home()
    said = add("nlp", "--name", "NLP", "--categories", "cs.CL, cs.AI", "--exclude", "survey,review")
    nlp = Digest.objects.get(slug="nlp")
    assert (nlp.categories, nlp.exclude_keywords, nlp.anchor, nlp.time_zone) == (
        ["cs.CL", "cs.AI"], ["survey", "review"], home.anchor, home.time_zone)
    assert list(Digest.objects.all()) == [home, nlp] and home.is_home and not nlp.is_home
    assert "Added digest 'nlp' (NLP): cs.CL, cs.AI" in said and "\n" not in said.strip()


@pytest.mark.django_db
@pytest.mark.parametrize("args, complaint", [
    (["bad slug!", "--name", "X", "--categories", "cs.CL"], "slug"),
    # Commands speak the site's language (LANGUAGE_CODE, Chinese by default).
    (["admin", "--name", "X", "--categories", "cs.CL"], "admin 是网站自身的路径"),
    (["x", "--name", "X", "--categories", "cs.CL;cs.AI"], "不是 arXiv 分类：cs.CL;cs.AI"),
    (["x", "--name", "X", "--categories", "cs.CL", "--title", "Daily"], "标题必须包含 {date}"),
    (["x", "--name", "X", "--categories", "cs.CL", "--title", "{day} daily {date}"], "花括号中只能是 {date}"),
    (["x", "--name", "X", "--categories", "cs.CL", "--time-zone", "Mars/Base"], "Mars/Base 不是时区"),
    (["x", "--name", "X", "--categories", "cs.CL", "--anchor", "25:00"], "not a time as HH:MM"),
])
def test_a_bad_digest_is_refused_in_one_line_and_nothing_is_made(args, complaint):
    with pytest.raises(CommandError) as refused:
        add(*args)
    assert complaint in str(refused.value) and "\n" not in str(refused.value)
    assert Digest.objects.count() == 1  # the first digest only


@pytest.mark.django_db
def test_the_post_title_is_the_digests_and_stays_valid_front_matter():
    add("nlp", "--name", "NLP", "--categories", "cs.CL", "--title", 'NLP "Daily" \\ {date}')
    title = Digest.objects.get(slug="nlp").post_title(dt.date(2026, 1, 9))
    assert title == 'NLP "Daily" \\ 2026-01-09'
    window = dt.datetime(2026, 1, 9, 8, 50, tzinfo=dt.UTC)
    markdown = render_day_markdown(DayPost(
        date=dt.date(2026, 1, 9), window_start=window, window_end=window, timezone_label="CST",
        timezone_name="北京时间", categories=["cs.CL"], fetched=0, shown=0, papers=[], title=title))
    front_matter = markdown.split("---\n")[1]
    assert yaml.safe_load(front_matter)["title"] == title
    assert Digest.objects.home().post_title(dt.date(2026, 1, 9)) == "arXiv Daily – 2026-01-09"
