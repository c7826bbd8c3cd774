"""Start-up imports only what every process needs: each `manage.py` command and worker pays for it.

The LLM client (`openai`, more than half of django.setup() when imported at the top), the PDF
reader, the mojibake fixer and the TMX library are imported where they are used.
"""

import os
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
IMPORTED_WHERE_USED = {"openai", "pypdf", "ftfy", "translate", "lxml"}


def test_django_setup_does_not_import_the_libraries_only_some_commands_use(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(DEBUG="1", DIGEST_VAR_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="digest_site.settings")
    result = subprocess.run([sys.executable, "-X", "importtime", str(REPO_ROOT / "manage.py"), "check"],
                            env=env, cwd=REPO_ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    # Each line of -X importtime: "import time: <self µs> | <cumulative µs> | <indented module name>".
    imported = {line.rsplit("|", 1)[1].strip() for line in result.stderr.splitlines()
                if line.startswith("import time:") and line.count("|") == 2}
    assert "django.db.models" in imported, "the check reads the importtime lines"
    assert {name for name in imported if name.split(".")[0] in IMPORTED_WHERE_USED} == set()
