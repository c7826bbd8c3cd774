"""One version number (digest_site.__version__), shown where people look for it."""

import json
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse

from digest_site import __version__

REPO_ROOT = Path(__file__).resolve().parents[1]


def test_manage_py_says_its_version():
    result = subprocess.run([sys.executable, str(REPO_ROOT / "manage.py"), "--version"], cwd=REPO_ROOT,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and result.stdout.startswith(f"arxiv-digest {__version__} (Django 5.2")


@pytest.mark.django_db
def test_the_admin_footer_and_digest_status_show_the_version(admin_client):
    assert f"arxiv-digest {__version__}".encode() in admin_client.get(reverse("admin:index")).content
    out = StringIO()
    call_command("digest_status", "--date", "2026-01-09", "--json", stdout=out)
    assert json.loads(out.getvalue())["version"] == __version__


def test_arxiv_is_told_the_version(settings):
    assert settings.ARXIV_USER_AGENT.startswith(f"arxiv-digest/{__version__} (")


def test_the_changelog_has_a_section_for_the_version():
    changelog = (REPO_ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    release = __version__.removesuffix(".dev0")
    assert "## [Unreleased]" in changelog if __version__.endswith(".dev0") else f"## [{release}]" in changelog
