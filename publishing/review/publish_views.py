"""The chief editor's confirmation pages: look at what readers will get, then publish, schedule or
unpublish. Thin: the preview, publication and scheduling services do the work and check the permission."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from digests.access import user_may
from publishing.models import DigestDay, ScheduledPublication
from publishing.permissions import PUBLISH_DAY
from publishing.posts.preview import publication_preview
from publishing.posts.publication import PublishError, PublishResult, day_publish, day_unpublish
from publishing.posts.scheduling import (
    SchedulingError,
    day_schedule_publication,
    no_workers_warning,
    scheduled_publication_cancel,
    scheduled_publication_problem,
    scheduled_publications_needing_attention,
)
from publishing.review.forms import DayPublishForm, ScheduledPublicationCancelForm


def publish_result_message(result: PublishResult) -> str:
    if result.created:
        message = _("Published version %(version)s (%(count)s papers).")
    elif result.went_live:
        message = _("Published again as version %(version)s (text unchanged, no new version).")
    else:
        message = _("Already published as version %(version)s; nothing changed.")
    return message % {"version": result.publication.version, "count": result.publication.paper_count}


def _day_for_publisher(request, day_id: int) -> DigestDay:
    """The day, for a chief editor of its digest (digests.access); 403 for anyone else."""
    if not request.user.has_perm(PUBLISH_DAY):
        raise PermissionDenied
    day = get_object_or_404(
        DigestDay.objects.select_related("live_publication", "digest").defer("live_publication__markdown",
                                                                             "live_publication__html"),
        pk=day_id,
    )
    if not user_may(request.user, PUBLISH_DAY, day.digest_id):
        raise PermissionDenied
    return day


def _schedule(request, day: DigestDay, form: DayPublishForm, *, approved_only: bool) -> None:
    """Order the publication with the form's choices; say when, and warn when no worker would run it."""
    scheduled = day_schedule_publication(day=day, user=request.user, approved_only=approved_only,
                                         publish_at=form.cleaned_data["publish_at"],
                                         correction_note=form.cleaned_data["correction_note"])
    messages.success(request, _("The digest of %(date)s will be published at %(time)s (site time).") % {
        "date": day.date.isoformat(), "time": timezone.localtime(scheduled.publish_at).strftime("%Y-%m-%d %H:%M")})
    if warning := no_workers_warning():
        messages.warning(request, warning)


def day_publish_confirm_view(model_admin, request, day_id: int):
    """GET: what publishing now would change for readers. POST: publish exactly that, or schedule it."""
    day = _day_for_publisher(request, day_id)
    # Which publish was asked for: from the button's link (GET, "1"), then carried in the form's hidden
    # field (POST), which Django renders as "True".
    approved_only = (request.POST if request.method == "POST" else request.GET).get("approved_only") in (
        "1", "on", "True")
    form = DayPublishForm(request.POST or None, initial={"approved_only": approved_only})
    if request.method == "POST" and form.is_valid():
        try:
            if form.cleaned_data["publish_at"]:
                _schedule(request, day, form, approved_only=approved_only)
            else:
                result = day_publish(day=day, user=request.user, approved_only=approved_only,
                                     expected_hash=form.cleaned_data["content_hash"],
                                     correction_note=form.cleaned_data["correction_note"])
                messages.success(request, publish_result_message(result))
            return redirect("admin:publishing_digestday_review", day.pk)
        except PublishError as exc:
            form.add_error(None, exc.shown)
        except SchedulingError as exc:
            form.add_error(None, str(exc))
    preview = publication_preview(day=day, approved_only=approved_only)
    workers_warning = no_workers_warning()
    if not form.is_bound:
        form.initial["content_hash"] = preview.content_hash
    return TemplateResponse(request, "admin/publishing/day_publish_confirm.html", {
        **model_admin.admin_site.each_context(request),
        "title": _("Publish %(day)s?") % {"day": day},
        "crumb_review_link": True,
        "opts": DigestDay._meta,
        "day": day,
        "preview": preview,
        "form": form,
        "scheduled": day.scheduled_publications.filter(status=ScheduledPublication.Status.PENDING),
        "scheduled_problems": [scheduled_publication_problem(scheduled, workers_running=not workers_warning)
                               for scheduled in scheduled_publications_needing_attention().filter(day=day)],
        "workers_warning": workers_warning,
    })


def day_unpublish_confirm_view(model_admin, request, day_id: int):
    """GET: what unpublishing takes from readers. POST: unpublish."""
    day = _day_for_publisher(request, day_id)
    if request.method == "POST":
        try:
            day_unpublish(day=day, user=request.user)
        except PublishError as exc:
            messages.error(request, exc.shown)
        else:
            messages.success(request, _("Unpublished: readers no longer see this day."))
        return redirect("admin:publishing_digestday_review", day.pk)
    return TemplateResponse(request, "admin/publishing/day_unpublish_confirm.html", {
        **model_admin.admin_site.each_context(request),
        "title": _("Unpublish %(day)s?") % {"day": day},
        "crumb_review_link": True,
        "opts": DigestDay._meta,
        "day": day,
    })


def scheduled_publication_cancel_view(model_admin, request, day_id: int):
    day = _day_for_publisher(request, day_id)
    form = ScheduledPublicationCancelForm(request.POST or None, day=day)
    if request.method != "POST":
        return redirect("admin:publishing_digestday_publish", day.pk)
    if form.is_valid():
        try:
            scheduled_publication_cancel(scheduled=form.cleaned_data["scheduled"], user=request.user)
            messages.success(request, _("The scheduled publication is cancelled."))
        except SchedulingError as exc:
            messages.error(request, str(exc))
    else:
        messages.error(request, _("No such scheduled publication."))
    return redirect("admin:publishing_digestday_review", day.pk)
