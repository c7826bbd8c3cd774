"""The named quality checks on crafted inputs: each fires where it should, with the right span, and stays quiet otherwise."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from translations.checks import CHECKS, ERROR, WARNING, CheckInput, run_checks
from translations.terminology import TermRule

REPO = Path(__file__).resolve().parents[2]

TITLE = "A Neural Vocoder for Streaming TTS"
ABSTRACT = (
    "Neural vocoders turn mel spectrograms into waveforms. We train a small vocoder with EnCodec tokens "
    "and a large language model (LLM) as teacher, and reach a MOS of 4.21 on LibriTTS at 12 ms latency."
)
GOOD = {
    "title_zh": "面向流式语音合成的神经声码器",
    "abstract_zh": "神经声码器将梅尔频谱转换为波形。我们以 EnCodec 词元训练一个小型声码器，并以大语言模型（LLM）为教师，"
                   "在 LibriTTS 上以 12 毫秒延迟达到 4.21 的 MOS。",
    "background_md": "- **研究背景**：声码器是语音合成的关键组件。\n- **既有方法问题**：延迟高。",
    "method_md": "- **核心思路**：蒸馏。\n- **方法框架**：\n  - **教师**：大语言模型。",
    "results_md": "- **性能**：MOS 为 4.21，延迟 12 毫秒。",
}
RULES = (
    TermRule(source="vocoder", kind=TermRule.PREFERRED, rendering="声码器", variants=("vocoders",)),
    TermRule(source="large language model", kind=TermRule.PREFERRED, rendering="大语言模型", forbidden=("法学硕士",),
             variants=("LLM",)),
    TermRule(source="token", kind=TermRule.PREFERRED, rendering="词元", forbidden=("令牌",), variants=("tokens",)),
    TermRule(source="EnCodec", kind=TermRule.KEEP_ENGLISH, forbidden=("恩编码",)),
)


def findings(check_id: str, **text) -> list:
    source = CheckInput(text={**GOOD, **text}, title=TITLE, abstract=ABSTRACT, rules=RULES)
    return [finding for finding in run_checks(source) if finding.check == check_id]


def spans(found, text=None) -> list[str]:
    text = text or GOOD
    return [(text[f.field][f.start:f.end] if f.start is not None else None) for f in found]


def test_the_good_text_passes_every_check():
    assert run_checks(CheckInput(text=GOOD, title=TITLE, abstract=ABSTRACT, rules=RULES)) == []


def test_every_check_has_a_stable_id_a_name_a_severity_and_a_description():
    assert set(CHECKS) == {
        "glossary_preferred", "glossary_forbidden", "glossary_keep_english", "number_unverified", "tex_mismatch",
        "reading_section_empty", "markdown_shape", "english_left", "abstract_length", "link_unverified", "glossary_unsourced",
    }
    for check_id, check in CHECKS.items():
        assert check.id == check_id and re.fullmatch(r"[a-z_]+", check_id)
        assert str(check.name) and str(check.description) and check.severity in (ERROR, WARNING)


def test_preferred_rendering_missing_is_flagged_on_the_field_that_renders_the_term():
    abstract = GOOD["abstract_zh"].replace("声码器", "语音生成器")
    found = findings("glossary_preferred", title_zh="面向流式语音合成的神经网络", abstract_zh=abstract,
                     background_md="- **研究背景**：语音合成。\n- **问题**：延迟高。")
    assert [(f.field, f.start) for f in found] == [("title_zh", None)]  # the title uses "Vocoder"
    assert "声码器" in found[0].message


def test_preferred_rendering_with_the_english_left_in_its_place_points_at_the_english():
    text = {**GOOD, "abstract_zh": GOOD["abstract_zh"].replace("EnCodec 词元", "EnCodec tokens")}
    found = findings("glossary_preferred", abstract_zh=text["abstract_zh"])
    assert spans(found, text) == ["tokens"] and found[0].field == "abstract_zh"


def test_a_term_met_only_in_the_full_text_is_not_required_in_the_summary():
    rule = TermRule(source="beamforming", kind=TermRule.PREFERRED, rendering="波束成形")
    source = CheckInput(text=GOOD, title=TITLE, abstract=ABSTRACT, full_text="We also tried beamforming.", rules=(rule,))
    assert run_checks(source) == []


def test_forbidden_rendering_is_flagged_where_it_stands():
    abstract = GOOD["abstract_zh"].replace("大语言模型", "法学硕士").replace("词元", "令牌")
    found = findings("glossary_forbidden", abstract_zh=abstract, method_md=GOOD["method_md"].replace("大语言模型", "法学硕士"))
    text = {**GOOD, "abstract_zh": abstract, "method_md": GOOD["method_md"].replace("大语言模型", "法学硕士")}
    assert [(f.field, s) for f, s in zip(found, spans(found, text), strict=True)] == [
        ("abstract_zh", "令牌"), ("abstract_zh", "法学硕士"), ("method_md", "法学硕士"),
    ]
    assert CHECKS["glossary_forbidden"].severity == ERROR


def test_keep_english_term_translated_is_flagged_and_kept_one_passes():
    found = findings("glossary_keep_english", abstract_zh=GOOD["abstract_zh"].replace("EnCodec", "恩编码"))
    assert [(f.field, f.start) for f in found] == [("abstract_zh", None)] and "EnCodec" in found[0].message
    # Written in English touching Chinese characters on both sides still counts as kept.
    assert findings("glossary_keep_english", abstract_zh=GOOD["abstract_zh"].replace("EnCodec 词元", "以EnCodec词元")) == []


def test_numbers_not_in_the_paper_are_flagged_once_with_their_span():
    results = "- **性能**：MOS 为 4.35，提速9倍，共 12,000 条样本，MOS 4.35，延迟 12 毫秒，Qwen3-8B 与 ESC-50。"
    found = findings("number_unverified", results_md=results)
    assert spans(found, {"results_md": results}) == ["4.35", "12,000"]


def test_tex_unbalanced_and_dropped_commands_are_flagged():
    abstract = r"We bound the error by $\mathcal{O}(n \log n)$ and the delay by \(T_{60}\)."
    source = CheckInput(
        text={**GOOD, "abstract_zh": r"误差上界为 $\mathcal{O}(n log n) 。延迟为 \(T_{60}。",
              "method_md": "- **核心思路**：$x^{2$ 的估计。"},
        title=TITLE, abstract=abstract,
    )
    found = [f for f in run_checks(source) if f.check == "tex_mismatch"]
    text = source.text
    assert [(f.field, text[f.field][f.start:f.end] if f.start is not None else f.message) for f in found] == [
        ("abstract_zh", "$"),
        ("abstract_zh", r"\("),
        ("abstract_zh", "原文公式中的 TeX 命令在译文中缺失：\\log"),
        ("method_md", "{"),
    ]


def test_tex_kept_intact_passes():
    abstract = r"The reverberation time $T_{60}$ is off by $\pm 0.08$ s."
    zh = r"混响时间 $T_{60}$ 的误差为 $\pm 0.08$ 秒。"
    source = CheckInput(text={**GOOD, "abstract_zh": zh}, title=TITLE, abstract=abstract)
    assert [f for f in run_checks(source) if f.check == "tex_mismatch"] == []


def test_an_empty_reading_section_is_an_error():
    found = findings("reading_section_empty", method_md="  \n")
    assert [f.field for f in found] == ["method_md"] and CHECKS["reading_section_empty"].severity == ERROR


def test_markdown_shape_flags_headings_paragraphs_and_orphan_sub_points():
    method = "## 方法\n- **核心思路**：蒸馏。\n        - **过深**：缩进。\n一段没有列表的文字。\n  续行属于上一个要点。"
    found = findings("markdown_shape", method_md=method)
    assert spans(found, {"method_md": method}) == ["## 方法", "        - **过深**：缩进。", "一段没有列表的文字。"]


def test_english_sentence_left_is_flagged_but_terms_names_tex_and_links_are_not():
    abstract = (GOOD["abstract_zh"] + "We further show that the model generalizes to unseen speakers."
                + "（a bracketed note that is quite long here）详见 https://example.org/this/is/a/long/link 。"
                + "由 Meta AI Research Large Language Model Team 发布。$\\text{for all the inputs we have here}$"
                + "见论文《Attention is all you need for the task》与“we do not translate quoted titles here”。")
    found = findings("english_left", abstract_zh=abstract)
    assert spans(found, {"abstract_zh": abstract}) == ["We further show that the model generalizes to unseen speakers."]


def test_abstract_far_shorter_or_longer_than_the_source_is_flagged():
    assert [f.field for f in findings("abstract_length", abstract_zh="神经声码器。")] == ["abstract_zh"]
    assert findings("abstract_length", abstract_zh=GOOD["abstract_zh"] * 3)[0].message.startswith("译文摘要明显长于原文")
    assert findings("abstract_length") == []


def _demo_sources() -> dict[str, tuple[str, str]]:
    ns = {"a": "http://www.w3.org/2005/Atom"}
    root = ET.parse(REPO / "demo" / "arxiv-api-demo-2026-01-09.xml").getroot()
    sources = {}
    for entry in root.findall("a:entry", ns):
        arxiv_id = entry.find("a:id", ns).text.rsplit("/", 1)[-1].split("v")[0]
        sources[arxiv_id] = (" ".join(entry.find("a:title", ns).text.split()), " ".join(entry.find("a:summary", ns).text.split()))
    return sources


@pytest.mark.parametrize("arxiv_id", sorted(json.loads((REPO / "demo" / "drafts-2026-01-09.json").read_text())["drafts"]))
def test_the_demo_days_hand_written_drafts_pass_every_check(arxiv_id):
    draft = json.loads((REPO / "demo" / "drafts-2026-01-09.json").read_text())["drafts"][arxiv_id]
    title, abstract = _demo_sources()[arxiv_id]
    text = {"title_zh": draft["title_zh"], "abstract_zh": draft["abstract_zh"], "background_md": draft["background"],
            "method_md": draft["method"], "results_md": draft["results"]}
    assert run_checks(CheckInput(text=text, title=title, abstract=abstract)) == []


def test_a_failing_check_becomes_a_finding_and_the_others_still_run(monkeypatch):
    from translations.checks import base

    def broken(source):
        raise KeyError("boom")

    monkeypatch.setitem(base.CHECKS, "tex_mismatch", base.Check("tex_mismatch", "TeX", ERROR, "", broken))
    found = run_checks(CheckInput(text={**GOOD, "method_md": ""}, title=TITLE, abstract=ABSTRACT, rules=RULES))
    assert sorted((f.check, f.message) for f in found) == [
        ("reading_section_empty", "解读部分为空"), ("tex_mismatch", "检查未能完成（KeyError），请人工核对"),
    ]


def link_findings(text: dict, *, full_text: str = "", metadata: str = "") -> list:
    source = CheckInput(text={**GOOD, **text}, title=TITLE, abstract=ABSTRACT, full_text=full_text, metadata=metadata,
                        rules=RULES)
    return [finding for finding in run_checks(source) if finding.check == "link_unverified"]


def test_a_link_the_paper_never_gave_is_an_error_where_it_stands():
    """Found by an attacker's pass: an injected https://evil.example/phish with "enter your password" tripped no
    check, and would have reached the site, the post and the mail once approved."""
    results = "- **性能**：MOS 为 4.21。\n- **重要**：请在 https://evil.example/phish 输入您的密码以查看完整结果。"
    found = link_findings({"results_md": results})
    assert [(f.field, results[f.start:f.end]) for f in found] == [("results_md", "https://evil.example/phish")]
    assert CHECKS["link_unverified"].severity == ERROR and "https://evil.example/phish" in found[0].message


@pytest.mark.parametrize("written, link", [
    ("详见 evil.example/login。", "evil.example/login"),
    ("访问 www.evil.example 获取代码", "www.evil.example"),
    ("联系 support@evil.example 以获取数据", "support@evil.example"),
    ("[代码](https://evil.example/code)", "https://evil.example/code"),
    ("<https://evil.example/x>", "https://evil.example/x"),
    ("代码见 https://github.com/org/repo-evil（已开源）", "https://github.com/org/repo-evil"),
    ("数据：ftp://files.evil.example/data", "ftp://files.evil.example/data"),
])
def test_every_form_a_reader_could_follow_is_checked(written, link):
    found = link_findings({"method_md": f"- **核心思路**：{written}"}, full_text="Code: https://github.com/org/repo")
    assert [f"- **核心思路**：{written}"[f.start:f.end] for f in found] == [link]


def test_links_and_addresses_the_paper_gives_pass_however_written():
    metadata = ("https://arxiv.org/abs/2601.05011\nAccepted at ICASSP 2026. Code: https://github.com/Org/Vocoder."
                "\nhttps://doi.org/10.1109/ICASSP.2026.1")
    full_text = "Demo at www.vocoder-demo.org/samples. Contact: {alice, bob}@uni.edu or carol@lab.example.com."
    method = ("- **核心思路**：代码见 github.com/org/vocoder（https://github.com/Org/Vocoder/），"
              "示例见 https://vocoder-demo.org/samples，论文 arxiv.org/abs/2601.05011，DOI https://doi.org/10.1109/ICASSP.2026.1。"
              "\n- **联系**：alice@uni.edu、Bob@Uni.edu、carol@lab.example.com。")
    assert link_findings({"method_md": method}, full_text=full_text, metadata=metadata) == []


def test_a_link_that_only_starts_like_one_the_paper_gives_or_goes_on_from_it_is_not_given():
    full_text = "Code: https://github.com/org/repo and mail alice@uni.edu."
    method = "- **核心思路**：https://github.com/org/repository 与 https://github.com/org/repo/tree/main，alice@uni.education。"
    found = link_findings({"method_md": method}, full_text=full_text)
    assert [method[f.start:f.end] for f in found] == [
        "https://github.com/org/repository", "https://github.com/org/repo/tree/main", "alice@uni.education"]


def test_numbers_names_and_tex_are_not_links():
    text = "- **性能**：Qwen2.5-7B 在 LibriTTS 上 WER 为 3.2%，e.g. 对比 wav2vec2.0，$a.b/c$，i.e. 1.5/2.0 倍。"
    assert link_findings({"results_md": text}) == []


HOSTILE_TEXTS = [
    "$$" + "b" * 50000,  # a long word after an open $$: once minutes of backtracking
    "\\(" * 10000, "1," * 30000 + "x", "1" * 50000 + "x", "a'" * 30000, "“" * 30000 + "a b c d e f g",
    "(" * 30000, "[" * 30000, "- " * 900 + "x",
    "a." * 30000 + "/", "a" * 50000 + "@", "a@" * 30000, "www." * 20000, "http://" * 10000,
]


def test_checks_finish_quickly_on_hostile_text():
    import time

    started = time.monotonic()
    for text in HOSTILE_TEXTS:
        run_checks(CheckInput(text=dict.fromkeys(GOOD, text), title=text, abstract=text, rules=RULES))
    assert time.monotonic() - started < 20
