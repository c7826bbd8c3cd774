"""Whole numbers a request carries (page numbers, row ids, revision numbers): ASCII digits 0-9 only.

`str.isdigit()` and `int()` accept far more than 0-9: `"²".isdigit()` is true but `int("²")` raises (a 500
where it was trusted), and `int("٣")` is 3 (Arabic-Indic digits), so an id written in another script would
name a row. Every number read from a request goes through `ascii_number`, or a form field below.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.db import connection, models


def ascii_number(text: object, *, minimum: int = 0, maximum: int) -> int | None:
    """`text` as a whole number if it is only ASCII digits and within [minimum, maximum]; else None.

    Its length is checked before `int()`, so a long run of digits costs nothing."""
    if not isinstance(text, str) or not text.isascii() or not text.isdigit() or len(text) > len(str(maximum)):
        return None
    number = int(text)
    return number if minimum <= number <= maximum else None


def row_id_valid(field: models.Field, text: object) -> bool:
    """Whether `text` can name a row by `field` (a primary key): for an integer key, ASCII digits within
    the column's range; for any other, a value the field reads."""
    if field.is_relation:
        field = field.target_field
    if isinstance(field, models.IntegerField):  # AutoField and BigAutoField too
        lowest, highest = connection.ops.integer_field_range(field.get_internal_type())
        return ascii_number(text, minimum=max(lowest or 0, 0), maximum=highest) is not None
    try:
        field.to_python(text)
    except ValidationError:
        return False
    return True


class AsciiIntegerField(forms.IntegerField):
    """Django's IntegerField, refusing a number written with any character outside ASCII (`²`, `٣`)."""

    def to_python(self, value):
        if isinstance(value, str) and not value.isascii():
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)
