"""The apps import one way: public → delivery → publishing → translations → papers; newsroom (the
people and the admin site) stands beside delivery above publishing; monitoring (health, incidents,
alerts, metrics) stands beside public at the top, since it watches every app; nothing imports public,
newsroom, monitoring or demo (the demo's command, which runs every app)."""

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
# Each app, and the project apps it must never import.
FORBIDDEN = {
    "papers": {"translations", "publishing", "newsroom", "delivery", "monitoring", "public", "demo"},
    "translations": {"publishing", "newsroom", "delivery", "monitoring", "public", "demo"},
    "publishing": {"newsroom", "delivery", "monitoring", "public", "demo"},
    "newsroom": {"delivery", "monitoring", "public", "demo"},
    "delivery": {"newsroom", "monitoring", "public", "demo"},
    "monitoring": {"newsroom", "public", "demo"},
    "public": {"newsroom", "monitoring", "demo"},
    "demo": set(),  # the top: it may import every app
    # The digests (what each one selects, when its day ends): below every app that keeps a digest's rows.
    "digests": {"papers", "translations", "publishing", "newsroom", "delivery", "monitoring", "public", "demo"},
    "digest_site": {"demo", "public", "monitoring", "newsroom", "delivery", "publishing", "translations", "papers",
                    "digests"},
}


def imported_apps(source: Path) -> set[str]:
    tree = ast.parse(source.read_text(encoding="utf-8"), filename=str(source))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("app", sorted(FORBIDDEN))
def test_an_app_imports_only_apps_below_it(app):
    offenders = {
        str(path.relative_to(REPO)): sorted(imported_apps(path) & FORBIDDEN[app])
        for path in (REPO / app).rglob("*.py")
        if imported_apps(path) & FORBIDDEN[app]
    }
    assert offenders == {}


def test_the_check_sees_imports():
    assert {"publishing", "django"} <= imported_apps(REPO / "public" / "views.py")


def test_every_app_has_its_place_in_the_order():
    # digest_site is an app too (its qcluster, the workers' receivers), at the bottom: it imports none.
    apps = {path.parent.name for path in REPO.glob("*/apps.py")}
    assert apps == set(FORBIDDEN)
