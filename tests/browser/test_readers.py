"""A reader on a phone (390×844): the first screen of a day shows a paper, its Chinese title and the start of
its abstract, not only the header and the window notes; the nav's 订阅 opens a page, not raw XML."""

import pytest
from django.urls import reverse

from publishing.models import PublishedPaper

# serialized_rollback: the role groups made by migrations survive the previous case's flush.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

PHONE = {"width": 390, "height": 844}


def within_first_screen(box) -> bool:
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= PHONE["height"] \
        and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]


@pytest.fixture
def phone_page(chromium):
    browser, _ = chromium
    return browser.new_page(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)


def test_the_phone_day_page_shows_a_paper_on_its_first_screen(phone_page, live_server, published_day):
    first = PublishedPaper.objects.filter(publication=published_day.live_publication).order_by("position").first()
    phone_page.goto(live_server.url + reverse("public:day", args=["2026-01-09"]))
    phone_page.screenshot(path="/tmp/readers-phone-day.png")
    title = phone_page.locator("article.post h2").first
    assert title.inner_text().strip() == first.title
    assert within_first_screen(title.bounding_box()), title.bounding_box()
    chinese_title = phone_page.get_by_text(first.title_zh, exact=True).first
    assert within_first_screen(chinese_title.bounding_box()), chinese_title.bounding_box()
    # The abstract begins on the first screen too: at least its first two lines.
    abstract = phone_page.locator("article.post > p", has_text=first.abstract_zh[:12]).first
    box = abstract.bounding_box()
    line = float(abstract.evaluate("element => parseFloat(getComputedStyle(element).lineHeight)"))
    assert box is not None and box["y"] + 2 * line <= PHONE["height"], (box, line)
    # Nothing is wider than the phone: no sideways scrolling.
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    # The notes are one tap away.
    phone_page.get_by_text("时间窗口与抓取说明").click()
    assert phone_page.get_by_text("时间窗口（锚点", exact=False).first.is_visible()


def test_the_nav_item_subscribe_opens_a_page_on_a_phone(phone_page, live_server, published_day):
    phone_page.goto(live_server.url + reverse("public:day", args=["2026-01-09"]))
    phone_page.locator("header.site nav").get_by_role("link", name="订阅", exact=True).click()
    phone_page.wait_for_load_state()
    assert phone_page.url == live_server.url + reverse("public:subscribe")
    assert phone_page.get_by_role("heading", name="订阅", exact=True).is_visible()
    phone_page.screenshot(path="/tmp/readers-phone-subscribe.png", full_page=True)
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
