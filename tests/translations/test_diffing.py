from translations.diffing import changed_share, diff_html


def test_diff_is_character_level_escaped_and_marked():
    html = diff_html("模型<b>很好", "大模型<b>很好！")
    assert html == "<ins>大</ins>模型&lt;b&gt;很好<ins>！</ins>"


def test_replacement_shows_deleted_then_inserted():
    assert diff_html("仅需四步", "只需四步") == "<del>仅</del><ins>只</ins>需四步"


def test_changed_share_runs_from_identical_to_disjoint():
    assert changed_share("相同", "相同") == 0.0
    assert changed_share("甲乙", "丙丁") == 1.0
    assert changed_share("abcd", "abce") == 0.25
    assert changed_share("", "") == 0.0
