"""Incidents in the admin, read-only: what failed, since when, and what the team was told."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from digest_site.admin_mixins import ReadOnlyAdminMixin
from monitoring.models import Incident


class OpenFilter(admin.SimpleListFilter):
    title = _("open")
    parameter_name = "open"

    def lookups(self, request, model_admin):
        return [("yes", _("open")), ("no", _("resolved"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.open()
        if self.value() == "no":
            return queryset.filter(resolved_at__isnull=False)
        return queryset


@admin.register(Incident)
class IncidentAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["kind", "subject", "opened_at", "last_seen_at", "resolved_at", "alerted_at", "alert_error"]
    list_filter = [OpenFilter, "kind"]
    date_hierarchy = "opened_at"
    search_fields = ["subject", "first_detail", "last_detail"]
    fields = readonly_fields = ["kind", "subject", "first_detail", "last_detail", "opened_at", "last_seen_at",
                                "resolved_at", "alerted_at", "alert_error", "recovery_alerted_at", "recovery_error"]
