"""The reader's pages as a browser lays them out: one centred column of text, whatever the page.

Found by looking at a screenshot: a botched stylesheet edit left header and main without their width
rule, so every public page shrank to a narrow strip at the left edge; no test that reads HTML saw it.
"""

import pytest
from django.urls import reverse

# serialized_rollback: the role groups made by migrations survive the previous case's flush.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.mark.parametrize("name, args", [("public:day", ["2026-01-09"]), ("public:archive", []),
                                        ("public:subscribe", [])])
def test_header_main_and_footer_share_one_centred_column(chromium, live_server, published_day, name, args):
    browser, _ = chromium
    page = browser.new_page(viewport={"width": 1300, "height": 900})
    page.goto(live_server.url + reverse(name, args=args))
    boxes = {part: page.locator(selector).first.bounding_box()
             for part, selector in [("header", "header.site"), ("main", "main"), ("footer", "footer.site")]}
    for part, box in boxes.items():
        left_margin, right_margin = box["x"], 1300 - box["x"] - box["width"]
        assert box["width"] > 600, f"{part} is {box['width']:.0f} px wide"
        assert abs(left_margin - right_margin) < 2, f"{part} is not centred ({left_margin:.0f} | {right_margin:.0f})"
    assert len({round(box["x"]) for box in boxes.values()}) == 1, boxes
