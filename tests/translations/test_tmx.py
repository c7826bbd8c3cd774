"""TMX import and export of the translation memory: commands, the admin's action, refused files."""

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from translate.storage import tmx

from tests.builders import user_in
from translations.memory import memory_import_units
from translations.models import MemoryUnit
from translations.tmx import memory_to_tmx, tmx_read

OTHER_TOOL_TMX = b"""<?xml version="1.0" encoding="UTF-8"?>
<tmx version="1.4"><header srclang="en" datatype="plaintext" segtype="sentence" adminlang="en" o-tmf="x" creationtool="x" creationtoolversion="1"/>
<body>
  <tu><tuv xml:lang="zh-CN"><seg>\xe6\x88\x91\xe4\xbb\xac\xe6\x8f\x90\xe5\x87\xba\xe4\xb8\x80\xe7\xa7\x8d\xe6\x96\xb9\xe6\xb3\x95\xe3\x80\x82</seg></tuv>
      <tuv xml:lang="EN-US"><seg>We propose a method.</seg></tuv></tu>
  <tu><tuv xml:lang="en"><seg>No Chinese here.</seg></tuv></tu>
</body></tmx>"""


def write(path, content: bytes) -> str:
    path.write_bytes(content)
    return str(path)


def test_export_then_import_round_trips_kind_and_paper(drafted_day, editor, tmp_path, capsys):
    from publishing.review.services import entry_approve
    entry = drafted_day.entries.select_related("paper").first()
    entry_approve(entry=entry, user=editor)
    out = tmp_path / "memory.tmx"
    call_command("export_memory", "--out", str(out))
    exported = MemoryUnit.objects.count()
    assert f"{exported} units exported" in capsys.readouterr().out
    parsed = tmx.tmxfile.parsestring(out.read_bytes())
    assert len(parsed.units) == exported
    assert f"{entry.paper.arxiv_id}v1".encode() in out.read_bytes()

    MemoryUnit.objects.all().delete()
    call_command("import_memory", str(out))
    assert f"{exported} units imported, 0 already held" in capsys.readouterr().out
    assert MemoryUnit.objects.filter(kind="title", origin="imported").count() == 1
    # Importing the same file again adds nothing.
    call_command("import_memory", str(out))
    assert f"0 units imported, {exported} already held" in capsys.readouterr().out
    assert MemoryUnit.objects.count() == exported


def test_another_tools_file_is_read_by_language_whatever_the_order(db, tmp_path, capsys):
    call_command("import_memory", write(tmp_path / "other.tmx", OTHER_TOOL_TMX))
    assert "1 units imported, 0 already held, 1 skipped" in capsys.readouterr().out
    unit = MemoryUnit.objects.get()
    assert (unit.kind, unit.source, unit.target, unit.note) == (
        "abstract_sentence", "We propose a method.", "我们提出一种方法。", "other.tmx")


@pytest.mark.parametrize("content", [
    b"not xml at all",
    b"<?xml version='1.0'?><tmx version='1.4'><body></body></tmx>",
    b'<?xml version="1.0"?><!DOCTYPE tmx [<!ENTITY boom "boom">]><tmx version="1.4"><body><tu>'
    b'<tuv xml:lang="en"><seg>&boom;</seg></tuv><tuv xml:lang="zh"><seg>x</seg></tuv></tu></body></tmx>',
])
def test_a_bad_file_is_refused_and_changes_nothing(db, tmp_path, content):
    memory_import_units(pairs=[("title", "Kept", "保留", "")])
    with pytest.raises(CommandError, match="nothing imported"):
        call_command("import_memory", write(tmp_path / "bad.tmx", content))
    assert list(MemoryUnit.objects.values_list("source", flat=True)) == ["Kept"]


def test_a_missing_file_is_one_clear_error(db, tmp_path):
    with pytest.raises(CommandError, match="cannot read"):
        call_command("import_memory", str(tmp_path / "nope.tmx"))


def test_written_tmx_escapes_outside_text(db):
    memory_import_units(pairs=[("title", "<script>alert(1)</script> & co", "标题", "")])
    content = memory_to_tmx(MemoryUnit.objects.all())
    assert b"<script>" not in content
    assert tmx_read(content).pairs[0][1] == "<script>alert(1)</script> & co"


def test_editors_see_the_memory_and_export_it_from_the_admin(db, client):
    memory_import_units(pairs=[("title", "A title", "标题", "")])
    client.force_login(user_in("Editor", "ed"))
    listing = client.get(reverse("admin:translations_memoryunit_changelist"))
    assert listing.status_code == 200 and "标题" in listing.content.decode()
    response = client.post(reverse("admin:translations_memoryunit_changelist"), {
        "action": "export_tmx", "_selected_action": [MemoryUnit.objects.get().pk]})
    assert response["Content-Disposition"] == 'attachment; filename="translation-memory.tmx"'
    assert tmx_read(response.content).pairs == [("title", "A title", "标题", "")]


@pytest.mark.parametrize("nul", [b"\x00", b"&#0;"], ids=["raw", "character-reference"])
def test_a_nul_in_a_tmx_is_refused_and_changes_nothing(db, tmp_path, nul):
    content = OTHER_TOOL_TMX.replace(b"We propose", b"We" + nul + b" propose")
    with pytest.raises(CommandError, match="nothing imported"):
        call_command("import_memory", write(tmp_path / "nul.tmx", content))
    assert not MemoryUnit.objects.exists()
