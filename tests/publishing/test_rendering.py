from publishing.posts.rendering import render_markdown_safely


def test_two_space_sub_points_become_nested_lists():
    html = render_markdown_safely("- **方法框架**：\n  - **问题建模**：甲\n  - **目标函数**：乙")
    assert html.count("<ul>") == 2 and "<strong>问题建模</strong>" in html


def test_markup_from_outside_is_shown_as_text():
    html = render_markdown_safely('<script>alert(1)</script> [x](javascript:alert(2)) <img src=x onerror="alert(3)">')
    assert "<script" not in html and "<a" not in html and "<img" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; [x](javascript:alert(2))" in html


def test_web_links_stay_links_and_tex_becomes_mathml():
    html = render_markdown_safely(r"见 [项目页](https://example.org/a?b=1&c=2)，$\hat q \equiv \frac{{- 2q}}{{2 + q}}$ 与 $a*b*c$")
    assert '<a href="https://example.org/a?b=1&amp;c=2" rel="noopener nofollow">项目页</a>' in html
    assert html.count("<math") == 2 and "<mfrac>" in html
    assert "<em>" not in html  # a * inside TeX is maths, not emphasis
