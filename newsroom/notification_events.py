"""The events the newsroom is told of, found where they happen and by the sweep, in the newsroom's words.

| event | who | found by |
|---|---|---|
| a day's drafts are done: ready for review | every editor | publishing's `day_status_changed` (drafting → in review), and the sweep |
| a day is flagged (needs attention) | chief editors | `day_status_changed` (a move to needs attention), and the sweep |
| a scheduled publication is overdue, or failed | chief editors | the sweep (`scheduled_publications_needing_attention`) |
| a day is still unpublished at DIGEST_PUBLISH_DEADLINE | chief editors | the sweep |

The sweep runs with publishing's (`publishing_swept`, every DIGEST_WATCHDOG_MINUTES); it looks back
LOOK_BACK only, so a newly installed newsroom does not tell of last month's days. Each event's key
is made from what it is about (the day, the flag's DayTransition, the schedule), so the signal and
the sweep finding the same event raise it once (notifications.notification_raise).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.conf import settings
from django.utils import timezone, translation

from digests.models import Digest
from newsroom.models import Notification
from newsroom.notifications import Event, notification_raise, notifications_send_due
from publishing.models import DayTransition, DigestDay, ScheduledPublication
from publishing.posts.scheduling import scheduled_publication_problem, scheduled_publications_needing_attention
from publishing.site_links import site_url

LOOK_BACK = dt.timedelta(days=1)
Status = DigestDay.Status
# The moves that mean the day's drafts are done and it waits for the editors.
READY_FROM = (Status.DRAFTING, Status.NEEDS_ATTENTION)


def _local(moment: dt.datetime) -> str:
    return f"{timezone.localtime(moment):%Y-%m-%d %H:%M}"


def _title(text: str) -> str:
    return f"[{settings.DIGEST_SITE_TITLE}] {text}"


def _day_name(day: DigestDay) -> str:
    """The day as a notification names it: its date, and with several digests the digest's name before it."""
    date = f"{day.date:%Y-%m-%d}"
    return f"{day.digest.name} {date}" if Digest.objects.count() > 1 else date


def day_ready_event(day: DigestDay) -> Event:
    day = DigestDay.objects.with_progress().select_related("digest").get(pk=day.pk)
    name = _day_name(day)
    return Event(
        key=f"day-ready:{day.pk}", kind=Notification.Kind.DAY_READY, day_id=day.pk,
        subject=_title(f"{name} 的初稿已就绪，可以审校"),
        body=(f"{name} 的机器初稿已全部完成：{day.reviewing} 篇待审校，{day.approved} 篇已通过，"
              f"{day.awaiting} 篇仍在等待初稿。请打开当天的审校页面开始审校。"),
        link=site_url("admin:publishing_digestday_review", day.pk))


def day_flagged_event(flag: DayTransition) -> Event:
    day = flag.day
    name = _day_name(day)
    return Event(
        key=f"day-flagged:{flag.pk}", kind=Notification.Kind.DAY_FLAGGED, day_id=day.pk, chiefs_only=True,
        subject=_title(f"{name} 需要处理"),
        body=(f"{name} 于 {_local(flag.at)} 被标记为需要处理（步骤：{flag.step or '—'}）。\n"
              f"原因：{flag.reason or '—'}\n请查看当天的审校页面；问题解决后，可由主编确认后继续。"),
        link=site_url("admin:publishing_digestday_review", day.pk))


def scheduled_publication_event(scheduled: ScheduledPublication, *, workers_running: bool | None = None) -> Event:
    failed = scheduled.status == ScheduledPublication.Status.FAILED
    day = scheduled.day
    with translation.override("zh-hans"):
        problem = scheduled_publication_problem(scheduled, workers_running=workers_running)
    what = "定时发布失败" if failed else "定时发布已逾期"
    name = _day_name(day)
    return Event(
        key=f"schedule-{'failed' if failed else 'overdue'}:{scheduled.pk}",
        kind=Notification.Kind.SCHEDULE_FAILED if failed else Notification.Kind.SCHEDULE_OVERDUE,
        day_id=day.pk, chiefs_only=True,
        subject=_title(f"{name} 的{what}（原定 {_local(scheduled.publish_at)}）"),
        body=f"{problem}\n请打开当天的发布页面处理。",
        link=site_url("admin:publishing_digestday_publish", day.pk))


def deadline_at(day: DigestDay, deadline: dt.time) -> dt.datetime:
    """The day's deadline as a moment: the time DIGEST_PUBLISH_DEADLINE on the day's date, in the site's time."""
    return dt.datetime.combine(day.date, deadline, tzinfo=zoneinfo.ZoneInfo(settings.TIME_ZONE))


def deadline_missed_event(day: DigestDay, deadline: dt.time) -> Event:
    day = DigestDay.objects.with_progress().select_related("digest").get(pk=day.pk)
    name = _day_name(day)
    return Event(
        key=f"deadline:{day.pk}:{deadline:%H:%M}", kind=Notification.Kind.DEADLINE_MISSED, day_id=day.pk,
        chiefs_only=True,
        subject=_title(f"已到发布截止时间 {deadline:%H:%M}，{name} 仍未发布"),
        body=(f"{name} 到 {deadline:%H:%M}（站点时间）仍未发布，当前状态：{day.get_status_display()}。\n"
              f"{day.awaiting} 篇等待初稿，{day.reviewing} 篇审校中，{day.approved} 篇已通过，{day.rejected} 篇未采用。"),
        link=site_url("admin:publishing_digestday_publish", day.pk))


# --- Found where they happen: publishing's signal of a day's move -------------------------------------


def day_moved_notify(*, transition_id: int) -> Notification | None:
    """Tell of a day's move, if it is one the newsroom hears of (ready for review, flagged)."""
    move = DayTransition.objects.select_related("day").filter(pk=transition_id).first()
    if move is None:
        return None
    if move.to_status == Status.IN_REVIEW and move.from_status in READY_FROM:
        return notification_raise(day_ready_event(move.day))
    if move.to_status == Status.NEEDS_ATTENTION:
        return notification_raise(day_flagged_event(move))
    return None


# --- Found by the sweep ---------------------------------------------------------------------------------


def notifications_sweep(*, now: dt.datetime | None = None) -> str:
    """Raise every event of the last LOOK_BACK not told yet, and send what is due; one line saying so."""
    now = now or timezone.now()
    since = now - LOOK_BACK
    raised = 0
    for move in (DayTransition.objects.select_related("day").filter(at__gte=since, to_status=Status.IN_REVIEW,
                                                                       from_status__in=READY_FROM,
                                                                       day__status=Status.IN_REVIEW)):
        raised += notification_raise(day_ready_event(move.day)) is not None
    for flag in DayTransition.objects.select_related("day").filter(at__gte=since, to_status=Status.NEEDS_ATTENTION,
                                                                    day__status=Status.NEEDS_ATTENTION):
        raised += notification_raise(day_flagged_event(flag)) is not None
    raised += _schedules_raise(now=now, since=since)
    raised += _deadline_raise(now=now)
    sent = notifications_send_due(now=now)
    return f"notifications: {raised} raised, {sent} sends tried again"


def _schedules_raise(*, now: dt.datetime, since: dt.datetime) -> int:
    raised = 0
    attention = scheduled_publications_needing_attention(now=now).exclude(status=ScheduledPublication.Status.RUNNING)
    for scheduled in attention.filter(publish_at__gte=since - LOOK_BACK).select_related("day"):
        raised += notification_raise(scheduled_publication_event(scheduled)) is not None
    return raised


def _deadline_raise(*, now: dt.datetime) -> int:
    deadline = settings.DIGEST_PUBLISH_DEADLINE
    if deadline is None:
        return 0
    raised = 0
    today = timezone.localtime(now, zoneinfo.ZoneInfo(settings.TIME_ZONE)).date()
    for day in DigestDay.objects.filter(date__in=[today - dt.timedelta(days=1), today], live_publication__isnull=True):
        if deadline_at(day, deadline) <= now < deadline_at(day, deadline) + LOOK_BACK:
            raised += notification_raise(deadline_missed_event(day, deadline)) is not None
    return raised
