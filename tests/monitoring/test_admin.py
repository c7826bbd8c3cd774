"""Incidents are shown in the admin, in Chinese, and nobody adds, edits or deletes one there."""

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from monitoring.models import Incident


@pytest.mark.django_db
def test_incidents_are_listed_read_only(client):
    client.force_login(User.objects.create_superuser("root", password="pw"))
    incident = Incident.objects.create(kind="workers", subject="", first_detail="no worker cluster",
                                       last_detail="no worker cluster", opened_at=timezone.now())
    page = client.get("/admin/monitoring/incident/?open=yes")
    assert page.status_code == 200
    text = page.content.decode()
    assert "后台进程心跳" in text and "故障" in text
    assert client.get("/admin/monitoring/incident/add/").status_code == 403
    detail = client.get(f"/admin/monitoring/incident/{incident.pk}/change/")
    assert detail.status_code == 200 and "no worker cluster" in detail.content.decode()
    assert 'name="_save"' not in detail.content.decode()
