"""The newsroom's notifications in the admin: what was told to whom and what failed (chief editors, who
retry a failed send), and each person's own choice whether to get them by email."""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import User
from django.db.models import Q
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from digest_site.admin_mixins import ReadOnlyAdminMixin
from digests.access import digest_ids_of
from digests.models import DigestRole
from newsroom.models import Notification, NotificationPreference, NotificationSend
from newsroom.notifications import notification_preference_of, notification_preference_set, notification_send_retry
from newsroom.team import user_may_enter_admin
from publishing.permissions import PUBLISH_DAY


class ChiefEditorsOnlyMixin:
    """What was sent, to whom, and its failures: for chief editors (and superusers)."""

    def has_module_permission(self, request):
        return request.user.has_perm(PUBLISH_DAY)

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm(PUBLISH_DAY)


def of_user_digests(queryset, user, *, day_path: str):
    """Notifications of the days of the user's digests, and those of no day (the whole newsroom's)."""
    ids = digest_ids_of(user)
    if ids is None:
        return queryset
    return queryset.filter(Q(**{f"{day_path}__isnull": True}) | Q(**{f"{day_path}__digest__in": ids}))


class NotificationSendInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = NotificationSend
    fields = ["channel", "user", "status", "attempts", "sent_at", "next_try_at", "last_error"]
    readonly_fields = fields
    extra = 0

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm(PUBLISH_DAY)


@admin.register(Notification)
class NotificationAdmin(ChiefEditorsOnlyMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["created_at", "kind", "subject", "day"]
    list_filter = ["kind"]
    search_fields = ["subject", "event_key"]
    date_hierarchy = "created_at"
    fields = ["event_key", "kind", "day", "subject", "body", "link", "created_at"]
    readonly_fields = fields
    inlines = [NotificationSendInline]

    def get_queryset(self, request):
        return of_user_digests(super().get_queryset(request), request.user, day_path="day")


@admin.register(NotificationSend)
class NotificationSendAdmin(ChiefEditorsOnlyMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["notification", "channel", "user", "status", "attempts", "sent_at", "next_try_at", "last_error"]
    list_filter = ["status", "channel"]
    list_select_related = ["notification", "user"]
    search_fields = ["notification__subject", "user__username", "user__email"]
    fields = list_display
    readonly_fields = fields
    actions = ["retry"]

    def get_queryset(self, request):
        return of_user_digests(super().get_queryset(request), request.user, day_path="notification__day")

    def has_retry_permission(self, request):
        return request.user.has_perm(PUBLISH_DAY)

    @admin.action(description=_("Try the failed sends again"), permissions=["retry"])
    def retry(self, request, queryset):
        retried = sum(notification_send_retry(send=send)
                      for send in queryset.filter(status=NotificationSend.Status.FAILED))
        self.message_user(request, ngettext("%(count)d failed send is tried again.",
                                            "%(count)d failed sends are tried again.", retried) % {"count": retried},
                          messages.SUCCESS)


class NotificationPreferenceForm(forms.Form):
    by_email = forms.BooleanField(label=_("Send me the newsroom's notifications by email"), required=False,
                                  help_text=_("Editors hear when a day's drafts are ready for review; chief editors "
                                              "also when a day is flagged, a scheduled publication is overdue or "
                                              "failed, or a day is unpublished at the deadline."))


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(admin.ModelAdmin):
    """Each person's own page (`mine/`): everyone with a role sees and changes only their own choice."""

    def has_module_permission(self, request):
        return user_may_enter_admin(request.user)

    def has_view_permission(self, request, obj=None):
        return user_may_enter_admin(request.user) and (obj is None or obj.user_id == request.user.pk)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        mine = path("mine/", self.admin_site.admin_view(self.mine_view), name="newsroom_notificationpreference_mine")
        return [mine, *super().get_urls()]

    def changelist_view(self, request, extra_context=None):
        return redirect("admin:newsroom_notificationpreference_mine")

    def mine_view(self, request):
        """GET: the person's choice (reads only). POST: their new choice."""
        # An unticked box sends nothing: an empty POST is still the person's answer.
        form = NotificationPreferenceForm(request.POST if request.method == "POST" else None,
                                          initial={"by_email": notification_preference_of(request.user)})
        if request.method == "POST" and form.is_valid():
            notification_preference_set(user=request.user, by_email=form.cleaned_data["by_email"])
            messages.success(request, _("Your notification preference is saved."))
            return redirect("admin:newsroom_notificationpreference_mine")
        return TemplateResponse(request, "admin/newsroom/notification_preference.html", {
            **self.admin_site.each_context(request),
            "title": _("My notifications"),
            "opts": self.model._meta,
            "form": form,
            "address": request.user.email,
            "action_url": reverse("admin:newsroom_notificationpreference_mine"),
        })


class DigestRoleOfPersonInline(admin.TabularInline):
    model = DigestRole
    fields = ["digest", "role", "created_at"]
    readonly_fields = ["created_at"]
    extra = 0
    verbose_name_plural = _("roles in digests")


# Settings Django's user form offers that only a superuser may give: a site editor manages people's roles in
# digests, not their powers (else they could make themselves superusers).
SUPERUSER_ONLY_FIELDS = {"is_superuser", "is_staff", "groups", "user_permissions"}


class NewsroomUserAdmin(UserAdmin):
    """Django's users, with each person's roles in digests; for a site editor, without the fields that give
    powers (superuser, staff, groups, permissions), and without superusers' accounts."""

    inlines = [DigestRoleOfPersonInline]
    list_filter = [*UserAdmin.list_filter, "digest_roles__digest", "digest_roles__role"]

    def get_queryset(self, request):
        people = super().get_queryset(request)
        return people if request.user.is_superuser else people.filter(is_superuser=False)

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if request.user.is_superuser:
            return fieldsets
        return [(name, {**options, "fields": [field for field in options["fields"] if field not in SUPERUSER_ONLY_FIELDS]})
                for name, options in fieldsets]


admin.site.unregister(User)
admin.site.register(User, NewsroomUserAdmin)
