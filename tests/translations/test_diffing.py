from django.utils import translation

from translations.diffing import changed_share, diff_html

INS = '<ins class="diff-ins"><span class="visually-hidden">inserted</span>'
DEL = '<del class="diff-del"><span class="visually-hidden">deleted</span>'


def test_diff_is_character_level_escaped_and_marked():
    with translation.override("en"):
        html = diff_html("模型<b>很好", "大模型<b>很好！")
    assert html == f"{INS}大</ins>模型&lt;b&gt;很好{INS}！</ins>"


def test_replacement_shows_deleted_then_inserted():
    with translation.override("en"):
        assert diff_html("仅需四步", "只需四步") == f"{DEL}仅</del>{INS}只</ins>需四步"


def test_each_change_carries_a_hidden_label_in_the_readers_language():
    with translation.override("zh-hans"):
        html = diff_html("仅需四步", "只需四步")
        deleted, inserted = translation.pgettext("diff", "deleted"), translation.pgettext("diff", "inserted")
    assert f'<span class="visually-hidden">{deleted}</span>仅</del>' in html
    assert f'<span class="visually-hidden">{inserted}</span>只</ins>' in html


def test_changed_share_runs_from_identical_to_disjoint():
    assert changed_share("相同", "相同") == 0.0
    assert changed_share("甲乙", "丙丁") == 1.0
    assert changed_share("abcd", "abce") == 0.25
    assert changed_share("", "") == 0.0
