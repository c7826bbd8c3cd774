from publishing.posts.rendering import render_markdown_safely


def test_two_space_sub_points_become_nested_lists():
    html = render_markdown_safely("- **方法框架**：\n  - **问题建模**：甲\n  - **目标函数**：乙")
    assert html.count("<ul>") == 2 and "<strong>问题建模</strong>" in html


def test_markup_from_outside_is_made_harmless():
    html = render_markdown_safely('<script>alert(1)</script> [x](javascript:alert(2)) <img src=x onerror="alert(3)">')
    assert "<script" not in html and "javascript:" not in html and "onerror" not in html
