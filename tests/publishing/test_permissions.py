"""The permission names publishing checks live in publishing.permissions, and each names a real permission."""

import re
from pathlib import Path

import pytest
from django.contrib.auth.models import Permission

from publishing import permissions

PUBLISHING = Path(permissions.__file__).resolve().parent
NAMES = [value for name, value in vars(permissions).items() if name.isupper()]


@pytest.mark.parametrize("name", NAMES)
def test_each_permission_name_is_a_permission_that_exists(db, name):
    app_label, codename = name.split(".")
    assert Permission.objects.filter(content_type__app_label=app_label, codename=codename).exists()


def test_permission_names_are_spelled_nowhere_else_in_publishing():
    spelled = re.compile(r"""["']publishing\.(?:%s)["']""" % "|".join(name.split(".")[1] for name in NAMES))
    elsewhere = [
        str(path.relative_to(PUBLISHING))
        for path in PUBLISHING.rglob("*.py")
        if path.name != "permissions.py" and "migrations" not in path.parts and spelled.search(path.read_text())
    ]
    assert elsewhere == []
