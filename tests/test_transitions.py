"""Every status field has a table of moves, and only its owning modules move it, through the table.

`digest_site.transitions.Transitions` is the one way: a status field's moves are declared once on its
model (`TRANSITIONS`, with the modules that own them), and moved by `TRANSITIONS.move` / `move_rows`.
This fails when a status field has no table, when a table names a state the field does not have, when
code writes a status field by hand (`row.status = …`, `.update(status=…)`, `save(update_fields=["status"])`),
or when a module that does not own a field moves it.
"""

import ast
from pathlib import Path

import pytest
from django.apps import apps
from django.db import models

from digest_site.transitions import TransitionNotAllowed, Transitions

REPO = Path(__file__).resolve().parents[1]
PROJECT_APPS = ("papers", "translations", "publishing", "newsroom", "delivery", "monitoring")
STATUS_NAMES = ("status", "state")


def status_fields() -> list[tuple[type[models.Model], models.Field]]:
    return [
        (model, field)
        for app in PROJECT_APPS for model in apps.get_app_config(app).get_models()
        for field in model._meta.get_fields()
        if isinstance(field, models.CharField) and field.choices and field.name in STATUS_NAMES
    ]


def source_files():
    for app in PROJECT_APPS + ("public", "demo", "digest_site"):
        for path in (REPO / app).rglob("*.py"):
            if "migrations" not in path.parts:
                yield path


def module_name(path: Path) -> str:
    return ".".join(path.relative_to(REPO).with_suffix("").parts)


def hand_writes(tree: ast.AST) -> list[int]:
    """Lines that write a status field other than through a Transitions table (a constructor's
    `self.status = …` of a plain object, such as an HTTP error's, is not a model's field)."""
    constructors = {id(node) for function in ast.walk(tree) if isinstance(function, ast.FunctionDef)
                    and function.name == "__init__" for node in ast.walk(function)}
    lines = []
    for node in ast.walk(tree):
        if id(node) in constructors:
            continue
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(
            node, ast.AugAssign | ast.AnnAssign) else []
        for target in targets:
            for element in target.elts if isinstance(target, ast.Tuple) else [target]:
                if isinstance(element, ast.Attribute) and element.attr in STATUS_NAMES:
                    lines.append(node.lineno)
        if isinstance(node, ast.Dict) and any(  # {"status": Model.Status.X}, to be splatted into a write
                isinstance(key, ast.Constant) and key.value in STATUS_NAMES and isinstance(value, ast.Attribute)
                and isinstance(value.value, ast.Attribute) and value.value.attr in ("Status", "State")
                for key, value in zip(node.keys, node.values)):
            lines.append(node.lineno)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            keywords = {keyword.arg for keyword in node.keywords}
            if node.func.attr in ("update", "bulk_update") and keywords & set(STATUS_NAMES):
                lines.append(node.lineno)
            for keyword in node.keywords:
                if keyword.arg == "update_fields" and isinstance(keyword.value, ast.List | ast.Tuple) and any(
                        isinstance(item, ast.Constant) and item.value in STATUS_NAMES for item in keyword.value.elts):
                    lines.append(node.lineno)
    return lines


def moves(tree: ast.AST) -> list[tuple[str, int]]:
    """(model name, line) of each `Model.TRANSITIONS.move(...)` / `.move_rows(...)` call."""
    found = []
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr in ("move", "move_rows") and isinstance(node.func.value, ast.Attribute)
                and node.func.value.attr == "TRANSITIONS"):
            owner = node.func.value.value
            found.append((owner.id if isinstance(owner, ast.Name) else "?", node.lineno))
    return found


@pytest.mark.parametrize("model, field", status_fields(), ids=lambda value: getattr(value, "__name__", ""))
def test_every_status_field_has_a_table_of_its_states(model, field):
    table = getattr(model, "TRANSITIONS", None)
    assert isinstance(table, Transitions), f"{model.__name__}.{field.name} has no Transitions table"
    assert table.field == field.name and table.model is model
    states = {str(value) for value, _label in field.choices}
    assert set(table.table) == states, "every state has its row (an end state: an empty set)"
    assert set().union(*table.table.values()) <= states
    assert table.owners and all((REPO / (owner.replace(".", "/") + ".py")).exists() for owner in table.owners)


def test_there_are_ten_status_fields():
    # Days, entries, drafts, fetches, suggested terms, scheduled publications, subscribers, mails, webhooks,
    # the newsroom's notification sends.
    assert len(status_fields()) == 10


def test_no_code_writes_a_status_field_by_hand():
    offenders = {}
    for path in source_files():
        if path == REPO / "digest_site" / "transitions.py":
            continue
        lines = hand_writes(ast.parse(path.read_text(encoding="utf-8")))
        if lines:
            offenders[str(path.relative_to(REPO))] = lines
    assert offenders == {}


def test_only_a_fields_owners_move_it():
    owners = {model.__name__: model.TRANSITIONS.owners for model, _field in status_fields()}
    offenders = []
    for path in source_files():
        for model_name, line in moves(ast.parse(path.read_text(encoding="utf-8"))):
            if model_name == "model":  # delivery.retries moves the model of the row it is given
                continue
            if module_name(path) not in owners.get(model_name, ()):
                offenders.append(f"{path.relative_to(REPO)}:{line} moves {model_name}")
    assert offenders == []


def test_the_checks_see_hand_writes_and_moves():
    tree = ast.parse("row.status = 'x'\nA.objects.update(state='y')\nrow.save(update_fields=['status'])\n"
                     "Entry.TRANSITIONS.move(entry, 'approved')\nfields = {'status': Draft.Status.FAILED}\n")
    assert sorted(hand_writes(tree)) == [1, 2, 3, 5]
    assert moves(tree) == [("Entry", 4)]


@pytest.mark.django_db
def test_a_move_is_a_conditional_update_that_one_caller_wins(published_day):
    from publishing.models import Entry

    entry = published_day.entries.first()
    stale = Entry.objects.get(pk=entry.pk)
    assert Entry.TRANSITIONS.move(entry, Entry.State.IN_REVIEW) is True
    assert Entry.TRANSITIONS.move(stale, Entry.State.IN_REVIEW) is False  # read as approved; it no longer is
    assert Entry.objects.get(pk=entry.pk).state == Entry.State.IN_REVIEW
    with pytest.raises(TransitionNotAllowed):
        Entry.TRANSITIONS.move(entry, Entry.State.APPROVED + "-nowhere")
