"""Importing and exporting the glossary: CSV and TBX, the commands, and the starter glossary."""

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from translations.glossary import glossary_import
from translations.glossary_files import GlossaryFileError, read_csv, read_glossary_file, read_tbx, write_tbx
from translations.models import GlossaryTerm
from translations.terminology import glossary_matcher

STARTER = Path(__file__).resolve().parents[2] / "translations" / "data" / "glossary-speech-audio.csv"

GOOD_CSV = """source,kind,rendering,variants,forbidden,category,note
large language model,preferred,大语言模型,LLM,法学硕士|LLM模型,机器学习,
EnCodec,keep English,,,,模型名称,"Meta 的神经音频编解码器, 名称保留英文"
token,preferred,词元,,令牌,,
"""


def import_text(text: str, **options) -> str:
    out, err = StringIO(), StringIO()
    path = options.pop("path")
    path.write_text(text, encoding="utf-8")
    try:
        call_command("import_glossary", str(path), stdout=out, stderr=err, **options)
    finally:
        options["errors"] = err.getvalue()
    return out.getvalue() + err.getvalue()


def test_a_csv_is_imported_and_a_second_import_changes_nothing(db, tmp_path):
    path = tmp_path / "terms.csv"
    assert "3 created, 0 updated, 0 unchanged, 0 refused" in import_text(GOOD_CSV, path=path)
    llm = GlossaryTerm.objects.get(term="large language model")
    assert (llm.kind, llm.rendering, llm.variants, llm.forbidden, llm.category) == (
        "preferred", "大语言模型", ["LLM"], ["法学硕士", "LLM模型"], "机器学习")
    encodec = GlossaryTerm.objects.get(term="EnCodec")
    assert encodec.kind == GlossaryTerm.Kind.KEEP_ENGLISH and encodec.note.startswith("Meta")
    assert "0 created, 0 updated, 3 unchanged, 0 refused" in import_text(GOOD_CSV, path=path)


def test_a_dry_run_lists_the_terms_it_would_create_or_change_and_changes_nothing(db, tmp_path):
    GlossaryTerm.objects.create(term="Token", rendering="令牌")
    GlossaryTerm.objects.create(term="EnCodec", kind=GlossaryTerm.Kind.KEEP_ENGLISH, category="模型名称",
                                note="Meta 的神经音频编解码器, 名称保留英文")
    out = import_text(GOOD_CSV, path=tmp_path / "terms.csv", dry_run=True)
    assert "create large language model: kind 'preferred rendering'; rendering '大语言模型'; variants 'LLM'; forbidden '法学硕士, LLM模型'; " \
           "category '机器学习'" in out
    assert "change token: term 'Token' -> 'token'; rendering '令牌' -> '词元'; forbidden '' -> '令牌'" in out
    assert "EnCodec" not in out.replace("unchanged", "")  # unchanged: not listed
    assert "glossary import (dry run, nothing changed): would create 1, update 1; 1 unchanged, 0 refused" in out
    assert list(GlossaryTerm.objects.order_by("term").values_list("term", "rendering")) == [
        ("EnCodec", ""), ("Token", "令牌")]


def test_a_known_source_in_another_case_is_updated_and_absent_columns_are_kept(db, tmp_path):
    GlossaryTerm.objects.create(term="Token", rendering="令牌", note="old note", category="机器学习")
    report = import_text("source,rendering,forbidden\ntoken,词元,令牌\n", path=tmp_path / "t.csv")
    assert "0 created, 1 updated" in report
    token = GlossaryTerm.objects.get()
    assert (token.term, token.rendering, token.forbidden, token.note, token.category) == (
        "token", "词元", ["令牌"], "old note", "机器学习")


def test_a_file_with_a_bad_row_changes_nothing_and_names_its_lines(db, tmp_path):
    bad = GOOD_CSV + (
        "vocoder,preferred,,,,,\n"  # no rendering
        "HiFi-GAN,keep_english,高保真生成对抗网络,,,,\n"  # a keep-English term with a rendering
        "Token,preferred,词元,,,,\n"  # the same source as line 4
        "codec,sometimes,编解码器,,,,\n"  # no such kind
        "speech codec,preferred,语音编解码器,,语音编解码器,,\n"  # forbidden = preferred
    )
    out = StringIO()
    err = StringIO()
    (tmp_path / "bad.csv").write_text(bad, encoding="utf-8")
    with pytest.raises(CommandError, match="5 rows refused; nothing changed"):
        call_command("import_glossary", str(tmp_path / "bad.csv"), stdout=out, stderr=err)
    lines = err.getvalue().splitlines()
    assert [line.split(":")[0] for line in lines] == ["line 5", "line 6", "line 7", "line 8", "line 9"]
    assert "the same source as line 4" in lines[2] and "kind" in lines[3]
    # Nothing was written, so the counts say what the good rows would have done (not "3 created").
    assert "nothing changed (would create 3, update 0; 0 unchanged, 5 refused)" in out.getvalue()
    assert "3 created" not in out.getvalue()
    assert not GlossaryTerm.objects.exists()


@pytest.mark.parametrize(
    "content, message",
    [
        (b"term;rendering\nfoo;bar\n", "the first line must name the columns"),
        (b"source,rendering,forbiden\nfoo,bar,baz\n", "unknown columns: forbiden"),
        (b"source,rendering\n\xff\xfe", "not UTF-8"),
        (b'source,rendering\nfoo,bar,extra\n', "line 2: more cells than columns"),
    ],
)
def test_an_unreadable_csv_is_refused_whole(content, message):
    with pytest.raises(GlossaryFileError, match=message):
        read_csv(content)


def test_tbx_round_trip_keeps_every_field(db):
    GlossaryTerm.objects.create(term="large language model", rendering="大语言模型", variants=["LLM"],
                                forbidden=["法学硕士"], category="机器学习", note="本刊统一")
    GlossaryTerm.objects.create(term="Whisper", kind=GlossaryTerm.Kind.KEEP_ENGLISH, forbidden=["耳语"])
    content = write_tbx(GlossaryTerm.objects.order_by("term"))
    assert b"deprecatedTerm-admn-sts" in content and b'type="subjectField"' in content
    rows = read_tbx(content)
    assert [(r.source, r.fields) for r in rows] == [
        ("Whisper", {"kind": "keep_english", "rendering": "", "variants": [], "forbidden": ["耳语"],
                     "category": "", "note": ""}),
        ("large language model", {"kind": "preferred", "rendering": "大语言模型", "variants": ["LLM"],
                                  "forbidden": ["法学硕士"], "category": "机器学习", "note": "本刊统一"}),
    ]
    report = glossary_import(rows=rows)
    assert report.applied and len(report.unchanged) == 2


def test_a_tbx_from_another_tool_is_read_with_its_deprecated_terms_as_forbidden(db):
    content = """<?xml version="1.0" encoding="UTF-8"?>
<martif type="TBX" xml:lang="en"><text><body>
<termEntry id="c1">
  <langSet xml:lang="en"><tig><term>beam search</term></tig></langSet>
  <langSet xml:lang="zh-CN">
    <tig><term>束搜索</term></tig>
    <tig><term>波束搜索</term><termNote type="administrativeStatus">deprecatedTerm-admn-sts</termNote></tig>
  </langSet>
</termEntry>
<termEntry id="c2"><langSet xml:lang="en"><tig><term>vocoder</term></tig></langSet></termEntry>
</body></text></martif>""".encode()
    with translation.override("en"):
        report = glossary_import(rows=read_glossary_file("other.tbx", content))
    assert not report.applied
    assert report.refused == [(10, "vocoder", "no Chinese term (for a keep-English term, repeat the English)")]
    rows = read_tbx(content)[:1]
    assert glossary_import(rows=rows).applied
    assert GlossaryTerm.objects.get().forbidden == ["波束搜索"]


def test_not_a_tbx_file_is_refused_whole():
    with pytest.raises(GlossaryFileError, match="not a TBX file"):
        read_glossary_file("x.tbx", b"<html><body>not a glossary")
    with pytest.raises(GlossaryFileError, match=".csv or .tbx"):
        read_glossary_file("x.xlsx", b"")


def test_export_command_writes_csv_to_stdout_and_tbx_to_a_file(db, tmp_path):
    GlossaryTerm.objects.create(term="vocoder", rendering="声码器", forbidden=["语音编码器"])
    out = StringIO()
    call_command("export_glossary", stdout=out)
    assert out.getvalue().splitlines() == [
        "source,kind,rendering,variants,forbidden,category,note", "vocoder,preferred,声码器,,语音编码器,,"]
    call_command("export_glossary", "--out", str(tmp_path / "g.tbx"), stderr=StringIO())
    assert read_tbx((tmp_path / "g.tbx").read_bytes())[0].fields["forbidden"] == ["语音编码器"]


def test_the_starter_glossary_is_large_valid_and_matches_a_speech_abstract(db):
    call_command("import_glossary", str(STARTER), stdout=StringIO())
    assert GlossaryTerm.objects.count() >= 150
    abstract = ("We fine-tune Whisper for automatic speech recognition and report WER on LibriSpeech; "
                "a HiFi-GAN vocoder decodes tokens of a neural audio codec, rated by MOS, for LLMs.")
    found = {rule.source: rule for rule in glossary_matcher().rules_in(abstract)}
    assert {"fine-tuning", "Whisper", "automatic speech recognition", "word error rate", "LibriSpeech",
            "HiFi-GAN", "vocoder", "token", "neural audio codec", "mean opinion score",
            "large language model"} <= set(found)
    assert found["large language model"].forbidden == ("法学硕士",) and found["token"].rendering == "词元"
    assert found["HiFi-GAN"].kind == "keep_english"


def test_a_tbx_cannot_read_local_files_through_an_entity(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    content = f"""<?xml version="1.0"?>
<!DOCTYPE martif [<!ENTITY leak SYSTEM "file://{secret}">]>
<martif type="TBX" xml:lang="en"><text><body><termEntry>
<langSet xml:lang="en"><tig><term>codec&leak;</term></tig></langSet>
<langSet xml:lang="zh"><tig><term>编解码器</term></tig></langSet>
</termEntry></body></text></martif>""".encode()
    try:
        rows = read_tbx(content)
    except GlossaryFileError:
        return
    assert all("TOP-SECRET" not in row.source for row in rows)


def test_a_csv_export_cannot_run_as_a_spreadsheet_formula_and_imports_back_unchanged(db):
    """Found by an attacker's pass: a rendering or note starting with = or @ ran as a formula in a spreadsheet."""
    from translations.glossary_files import write_csv

    term = GlossaryTerm.objects.create(term="vocoder", rendering='=HYPERLINK("https://evil.example","声码器")',
                                       forbidden=["-1+1"], note="@SUM(1+1)")
    exported = write_csv([term])
    cells = exported.splitlines()[1]
    assert "'=HYPERLINK" in cells and "'@SUM" in cells and "'-1+1" in cells
    (row,) = read_csv(exported.encode())
    assert (row.fields["rendering"], row.fields["forbidden"], row.fields["note"]) == (term.rendering, ["-1+1"],
                                                                                      "@SUM(1+1)")


NUL_CSV = "source,rendering,note\ntoken,词元,\nvocoder,声\x00码器,\n"
NUL_TBX = ('<?xml version="1.0" encoding="UTF-8"?><martif type="TBX" xml:lang="en"><text><body><termEntry>'
           '<langSet xml:lang="en"><tig><term>vocoder{}</term></tig></langSet>'
           '<langSet xml:lang="zh"><tig><term>声码器</term></tig></langSet></termEntry></body></text></martif>')


def test_a_nul_in_a_csv_is_refused_whole_with_its_line(db, tmp_path):
    """PostgreSQL refuses NUL in text: this used to be a DataError traceback from import_glossary."""
    with pytest.raises(CommandError, match=r"line 3: a NUL character.*UTF-8") as refused:
        import_text(NUL_CSV, path=tmp_path / "nul.csv")
    assert "\n" not in str(refused.value) and not GlossaryTerm.objects.exists()


@pytest.mark.parametrize("nul", ["\x00", "&#0;"], ids=["raw", "character-reference"])
def test_a_nul_in_a_tbx_is_refused_whole(db, tmp_path, nul):
    with pytest.raises(CommandError, match="not a TBX file"):
        import_text(NUL_TBX.format(nul), path=tmp_path / "nul.tbx")
    assert not GlossaryTerm.objects.exists()


def many_terms_csv(rows: int, rendering: str) -> bytes:
    lines = ["source,kind,rendering,variants,forbidden,category,note"]
    lines += [f"term {n} model,preferred,{rendering}{n},T{n}M,禁{n},类别,注 {n}" for n in range(rows)]
    return ("\n".join(lines) + "\n").encode()


def test_a_large_file_is_imported_in_a_handful_of_queries_whatever_its_size(db, django_assert_max_num_queries):
    """Saving row by row (and a query per row for the same term in another case, a scan of the
    glossary on SQLite) took minutes for 30,000 rows; the import now writes in batches
    (bench/glossary_import.py times it)."""
    rows = read_csv(many_terms_csv(2500, "术语"))
    with django_assert_max_num_queries(8):
        assert glossary_import(rows=rows).summary == "glossary import: 2500 created, 0 updated, 0 unchanged, 0 refused"
    term = GlossaryTerm.objects.get(term="term 7 model")
    assert (term.rendering, term.variants, term.forbidden, term.category, term.note) == (
        "术语7", ["T7M"], ["禁7"], "类别", "注 7")
    assert term.created_at is not None and term.updated_at is not None
    glossary_matcher()  # loaded now: it must see the update below

    rows = read_csv(many_terms_csv(2500, "新译") + "new term,preferred,新词,,,,\n".encode())
    with django_assert_max_num_queries(8):
        report = glossary_import(rows=rows)
    assert report.summary == "glossary import: 1 created, 2500 updated, 0 unchanged, 0 refused"
    updated = GlossaryTerm.objects.get(pk=term.pk)
    assert updated.rendering == "新译7" and updated.updated_at > term.updated_at
    assert updated.created_at == term.created_at
    assert glossary_matcher().rules_in("We use term 7 model here.")[0].rendering == "新译7"


def test_a_large_file_with_one_bad_row_changes_nothing(db):
    glossary_import(rows=read_csv(many_terms_csv(1000, "术语")))
    before = list(GlossaryTerm.objects.order_by("id").values_list("term", "rendering", "updated_at"))
    rows = read_csv(many_terms_csv(1000, "新译") + b"vocoder,preferred,,,,,\n")
    report = glossary_import(rows=rows)
    assert not report.applied and [(line, source) for line, source, _why in report.refused] == [(1002, "vocoder")]
    assert report.refused[0][2].startswith("rendering: ")
    assert len(report.updated) == 1000  # what it would have done
    assert list(GlossaryTerm.objects.order_by("id").values_list("term", "rendering", "updated_at")) == before


def test_a_term_in_the_glossary_in_another_case_is_updated_not_added_twice(db):
    GlossaryTerm.objects.create(term="Mel Spectrogram", rendering="梅尔谱")
    with translation.override("en"):
        report = glossary_import(rows=read_csv("source,rendering\nmel spectrogram,梅尔频谱\nMEL SPECTROGRAM,梅尔\n".encode()))
    assert report.refused == [(3, "MEL SPECTROGRAM", "the same source as line 2")] and not report.applied
    report = glossary_import(rows=read_csv("source,rendering\nmel spectrogram,梅尔频谱\n".encode()))
    assert report.summary == "glossary import: 0 created, 1 updated, 0 unchanged, 0 refused"
    assert list(GlossaryTerm.objects.values_list("term", "rendering")) == [("mel spectrogram", "梅尔频谱")]
