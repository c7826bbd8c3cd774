"""Views parse, dispatch and render: no view module's function is above cyclomatic complexity 10 (radon).

The use cases live in services (publishing/review/submission.py) and the page data in selectors
(publishing/review/pages.py); a view that grows branches is a sign one of them belongs there.
"""

from pathlib import Path

import pytest
from radon.complexity import cc_visit

REPO = Path(__file__).resolve().parents[1]
VIEW_MODULES = [
    "publishing/review/views.py",
    "publishing/review/publish_views.py",
    "public/views.py",
    "public/subscriptions.py",
    "public/feeds.py",
    "monitoring/views.py",
]
LIMIT = 10


@pytest.mark.parametrize("module", VIEW_MODULES)
def test_no_view_function_is_above_complexity_ten(module):
    blocks = cc_visit((REPO / module).read_text(encoding="utf-8"))
    too_complex = {block.fullname: block.complexity for block in blocks if block.complexity > LIMIT}
    assert too_complex == {}


def test_the_measure_sees_branches():
    source = "def f(x):\n" + "".join(f"    if x == {n}:\n        return {n}\n" for n in range(11)) + "    return 0\n"
    assert cc_visit(source)[0].complexity == 12
