"""Benchmark: importing a large glossary file, from the shell and from the admin's upload page.

    .venv/bin/python bench/glossary_import.py [--rows 30000] [--admin-rows 8000]

Steps: a fresh SQLite database in a temporary folder (or DATABASE_URL if set: give it one of
its own, the benchmark migrates it and writes into it); a generated CSV of `--rows` terms
(about 45 bytes a row: 30,000 rows are 1.3 MB; a tenth keep-English, a fifth with variants and
forbidden renderings), written to the temporary folder. Then, each timed from reading the file
to the report:

1. `import_glossary` into an empty glossary: every row created;
2. the same file again: every row unchanged;
3. a file with every rendering changed: every row updated;
4. that file with one bad row at its end: refused, nothing changed (checked);
5. `--admin-rows` rows uploaded through the admin's import page (a chief editor's POST, Django's
   test client in this process), into the glossary of step 3: the first half updated, the rest new.

Target: each of steps 1-4 under 10 s for 30,000 rows, and step 5 well under a web worker's
60 s timeout.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import sys
import tempfile
import time
from io import StringIO
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

HANZI = "语音音频模型神经编码器解码合成识别增强分离检测网络扩散流式延迟声学特征频谱波形相位噪声鲁棒数据集基准评估"


def glossary_csv(rows: int, *, seed: int, rendering_suffix: str = "", first: int = 0) -> str:
    """`rows` terms, "term <first> model" onwards."""
    rng = random.Random(seed)
    lines = ["source,kind,rendering,variants,forbidden,category,note"]
    for number in range(first, first + rows):
        source = f"term {number} model"
        if number % 10 == 0:
            lines.append(f"{source},keep English,,,,名称,")
            continue
        rendering = "".join(rng.choices(HANZI, k=4)) + rendering_suffix
        variants = f"T{number}M" if number % 5 == 0 else ""
        forbidden = "".join(rng.choices(HANZI, k=3)) if number % 5 == 0 else ""
        lines.append(f"{source},preferred,{rendering},{variants},{forbidden},,")
    return "\n".join(lines) + "\n"


def timed_command(path: Path) -> tuple[float, str]:
    from django.core.management import CommandError, call_command

    out, err = StringIO(), StringIO()
    start = time.perf_counter()
    try:
        call_command("import_glossary", str(path), stdout=out, stderr=err, verbosity=0)
    except CommandError as exc:
        return time.perf_counter() - start, f"{out.getvalue().strip()} ({exc})"
    return time.perf_counter() - start, out.getvalue().strip()


def timed_admin_upload(text: str) -> tuple[float, str]:
    from django.contrib.auth.models import Group, User
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client
    from django.urls import reverse

    chief, _ = User.objects.get_or_create(username="bench-chief")
    chief.groups.add(Group.objects.get(name="Chief editor"))
    client = Client(HTTP_HOST="localhost", HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(chief)
    upload = SimpleUploadedFile("terms.csv", text.encode(), content_type="text/csv")
    start = time.perf_counter()
    response = client.post(reverse("admin:translations_glossaryterm_import"), {"file": upload}, follow=True)
    seconds = time.perf_counter() - start
    summary = re.search(r"(glossary imported|nothing imported|dry run)[^<]*", response.content.decode(), re.IGNORECASE)
    return seconds, summary.group() if summary else f"HTTP {response.status_code}, no report"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=30000)
    parser.add_argument("--admin-rows", type=int, default=8000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="arxiv-digest-bench-") as var_dir:
        os.environ.update({"DJANGO_SETTINGS_MODULE": "digest_site.settings", "DEBUG": "1", "DIGEST_VAR_DIR": var_dir,
                           "LOG_LEVEL": "warning"})
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection

        from translations.models import GlossaryTerm

        call_command("migrate", verbosity=0)
        folder = Path(var_dir)
        first, changed = folder / "glossary.csv", folder / "glossary-changed.csv"
        first.write_text(glossary_csv(args.rows, seed=1), encoding="utf-8")
        changed_text = glossary_csv(args.rows, seed=1, rendering_suffix="法")
        changed.write_text(changed_text, encoding="utf-8")
        bad = folder / "glossary-bad.csv"
        bad.write_text(changed_text + "vocoder,preferred,,,,,\n", encoding="utf-8")
        database = "PostgreSQL" if connection.vendor == "postgresql" else "SQLite"
        print(f"Glossary import benchmark: {args.rows:,} rows ({first.stat().st_size / 1e6:.1f} MB), {database}\n")
        header = f"{'step':<40} | {'seconds':>7} | {'rows/s':>8} | report"
        print(header)
        print("-" * len(header))
        timings = []
        steps = [("1. new glossary", first), ("2. same file again", first), ("3. every rendering changed", changed),
                 ("4. one bad row: nothing changed", bad)]
        keep_english = len(range(0, args.rows, 10))
        expected = [f"{args.rows} created, 0 updated, 0 unchanged, 0 refused",
                    f"0 created, 0 updated, {args.rows} unchanged, 0 refused",
                    f"0 created, {args.rows - keep_english} updated, {keep_english} unchanged, 0 refused",
                    f"0 created, 0 updated, {args.rows} unchanged, 1 refused"]
        reported_as_expected = True
        for (name, path), counts in zip(steps, expected):
            before = list(GlossaryTerm.objects.order_by("id").values_list("term", "rendering", "updated_at"))
            seconds, report = timed_command(path)
            timings.append(seconds)
            reported_as_expected = reported_as_expected and counts in report
            print(f"{name:<40} | {seconds:>7.2f} | {args.rows / seconds:>8,.0f} | {report}")
        nothing_changed = before == list(GlossaryTerm.objects.order_by("id").values_list("term", "rendering", "updated_at"))
        # Half of the upload's terms are in the glossary (updated), half are new.
        admin_text = glossary_csv(args.admin_rows, seed=2, rendering_suffix="语", first=args.rows - args.admin_rows // 2)
        seconds, report = timed_admin_upload(admin_text)
        print(f"{f'5. admin upload, {args.admin_rows:,} rows':<40} | {seconds:>7.2f} | {args.admin_rows / seconds:>8,.0f} | {report}")
        met = (max(timings) < 10 * args.rows / 30000 and seconds < 30 and nothing_changed and reported_as_expected
               and "refused" in report)
        print(f"\nTarget (each step under 10 s for 30,000 rows; the admin upload under 30 s; a refused file "
              f"changes nothing; every report as expected): {'met' if met else 'NOT met'}")


if __name__ == "__main__":
    main()
