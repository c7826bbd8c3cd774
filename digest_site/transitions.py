"""One way to move any status field: the model's table of moves, applied by a conditional update.

Each status field is declared once, next to its `TextChoices`, as a `Transitions`: the field, the
moves allowed from each state, and the modules that own the moves. Only those modules move the
field, and only through `move` (one row, from the state it was read in) or `move_rows` (a claim
over many rows); tests/test_transitions.py fails when a status field has no table, or when code
anywhere else writes it.

A move is a conditional update (`filter(pk=…, status=<from>).update(status=<to>, …)`), so two
workers never both make it: the one whose update touches no row learns it lost. The history row
(`DayTransition`, the admin's LogEntry, the delivery's recorded answer) is the owner's to write,
inside the same transaction, when `move` reports the row moved.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from django.db import models


class TransitionNotAllowed(Exception):
    """A move the table does not allow (a programming error or a stale request, not a lost race)."""


class Transitions:
    """The moves of one status field. Reads like the table it is: `Entry.TRANSITIONS[state]`."""

    def __init__(self, *, field: str, table: Mapping[str, Iterable[str]], owners: Iterable[str]) -> None:
        self.field = field
        self.table = {str(state): frozenset(str(to) for to in moves) for state, moves in table.items()}
        # Dotted module names: the only code that moves this field.
        self.owners = tuple(owners)
        self.model: type[models.Model] | None = None  # set when the model class is made

    def __set_name__(self, owner: type, name: str) -> None:
        self.model = owner

    def __repr__(self) -> str:
        return f"<Transitions of {getattr(self.model, '__name__', '?')}.{self.field}>"

    def __getitem__(self, state: str) -> frozenset[str]:
        return self.table[str(state)]

    def allows(self, from_state: str, to_state: str) -> bool:
        return str(to_state) in self.table.get(str(from_state), frozenset())

    def check(self, from_state: str, to_state: str) -> None:
        if not self.allows(from_state, to_state):
            name = self.model.__name__ if self.model else "row"
            raise TransitionNotAllowed(f"a {name} cannot go from {from_state} to {to_state}")

    def move(self, instance: models.Model, to: str, *, from_state: str | None = None,
             where: dict | None = None, **fields) -> bool:
        """Move one row to `to` from `from_state` (default: the state `instance` was read in), setting
        `fields` with it, if the row is still in that state (and matches `where`, e.g. still held by
        this claim); True if it moved (and `instance` with it)."""
        current = str(from_state if from_state is not None else getattr(instance, self.field))
        self.check(current, to)
        moved = type(instance)._default_manager.filter(pk=instance.pk, **{self.field: current}, **(where or {})).update(
            **{self.field: to}, **fields)
        if moved:
            setattr(instance, self.field, to)
            for name, value in fields.items():
                if not hasattr(value, "resolve_expression"):
                    setattr(instance, name, value)
        return bool(moved)

    def move_rows(self, rows: models.QuerySet, to: str, *, from_states: Iterable[str], **fields) -> int:
        """Move every row of `rows` that is in one of `from_states` to `to` (a claim over many rows,
        a sweep); the number moved. Each of the moves must be in the table."""
        from_states = [str(state) for state in from_states]
        for state in from_states:
            self.check(state, to)
        return rows.filter(**{f"{self.field}__in": from_states}).update(**{self.field: to}, **fields)
