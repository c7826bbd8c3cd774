"""The admin of webhooks and the email edition: endpoints, subscribers, every delivery with its answer, and
who switched delivery on or off for which instance."""

from collections.abc import Callable

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from delivery.models import DeliverySwitch, EmailDelivery, Subscriber, WebhookDelivery, WebhookEndpoint
from delivery.outbound import AddressRefused, outbound_target
from delivery.sending import email_delivery_retry
from delivery.subscribers import subscriber_unsubscribe
from delivery.webhooks import webhook_delivery_retry
from digest_site.admin_mixins import ReadOnlyAdminMixin


class FailedRetryMixin:
    """The retry of failed deliveries, the same for both channels: whoever may change a delivery may
    retry it; each failed row selected gets a fresh set of tries through its channel's service."""

    def has_retry_permission(self, request) -> bool:
        return request.user.has_perm(f"{self.opts.app_label}.change_{self.opts.model_name}")

    def failed_retry(self, queryset, retry: Callable) -> int:
        return sum(bool(retry(delivery=delivery)) for delivery in queryset.filter(status=self.model.Status.FAILED))


class WebhookEndpointForm(forms.ModelForm):
    # A webhook address without a scheme is an https one.
    url = WebhookEndpoint._meta.get_field("url").formfield(assume_scheme="https")

    class Meta:
        model = WebhookEndpoint
        fields = ["digest", "name", "kind", "url", "secret", "active"]

    def clean_url(self) -> str:
        """Said at once here; the real guard is the same check at each send (delivery.outbound)."""
        url = self.cleaned_data["url"]
        try:
            outbound_target(url)
        except AddressRefused as exc:
            raise ValidationError(_("The server will not send to this address: %(why)s"), code="address_refused",
                                  params={"why": exc}) from None
        return url


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    """Where each newly published day of a digest is announced (chief editors)."""

    form = WebhookEndpointForm
    list_display = ["name", "digest", "kind", "url", "active", "created_at"]
    list_filter = ["digest", "kind", "active"]
    list_select_related = ["digest"]
    fields = ["digest", "name", "kind", "url", "secret", "active"]


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(FailedRetryMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """Every announcement and the endpoint's answer; failed ones can be tried again."""

    list_display = ["publication", "endpoint", "status", "attempts", "response_status", "error", "last_tried_at",
                    "next_try_at"]
    list_filter = ["status", "endpoint__digest", "endpoint"]
    list_select_related = ["publication__day", "endpoint"]
    readonly_fields = ["publication", "endpoint", "status", "attempts", "response_status", "response_body", "error",
                       "created_at", "last_tried_at", "next_try_at"]
    fields = readonly_fields
    actions = ["retry"]

    def get_queryset(self, request):
        return super().get_queryset(request).defer("publication__markdown", "publication__html")

    @admin.action(description=_("Try the failed deliveries again"), permissions=["retry"])
    def retry(self, request, queryset):
        retried = self.failed_retry(queryset, webhook_delivery_retry)
        self.message_user(request, _("%(count)d deliveries will be tried again.") % {"count": retried})


@admin.register(DeliverySwitch)
class DeliverySwitchAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Which instance delivered from this database, since when and on whose word (the latest row rules).
    Switched only from the shell (`enable_delivery`, `disable_delivery`), on the machine that should deliver."""

    list_display = ["switched_at", "delivers_from", "switched_by"]
    fields = list_display
    readonly_fields = list_display

    @admin.display(description=_("delivers from"))
    def delivers_from(self, switch: DeliverySwitch) -> str:
        return switch.instance or _("no instance (switched off)")


@admin.register(Subscriber)
class SubscriberAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Readers of the email edition (chief editors). Readers subscribe and confirm themselves; an editor
    can only unsubscribe an address from every digest (on the reader's request, by mail)."""

    list_display = ["email", "status", "digests_names", "categories_text", "wants_corrections", "created_at",
                    "confirmed_at", "unsubscribed_at"]
    list_filter = ["status", "digests", "wants_corrections"]
    search_fields = ["email"]
    date_hierarchy = "created_at"
    fields = ["email", "status", "status_reason", "digests_names", "categories_text", "wants_corrections",
              "created_at", "confirmed_at", "unsubscribed_at"]
    readonly_fields = fields
    actions = ["unsubscribe"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("digests")

    @admin.display(description=_("digests"))
    def digests_names(self, subscriber: Subscriber) -> str:
        return ", ".join(digest.name for digest in subscriber.digests.all()) or "—"

    def has_unsubscribe_permission(self, request):
        return request.user.has_perm("delivery.change_subscriber")

    @admin.action(description=_("Unsubscribe the selected addresses"), permissions=["unsubscribe"])
    def unsubscribe(self, request, queryset):
        subscribers = list(queryset.exclude(status=Subscriber.Status.UNSUBSCRIBED))
        for subscriber in subscribers:
            subscriber_unsubscribe(subscriber=subscriber, why=f"by {request.user.get_username()} in the admin")
        self.message_user(request, _("%(count)d addresses unsubscribed.") % {"count": len(subscribers)})


@admin.register(EmailDelivery)
class EmailDeliveryAdmin(FailedRetryMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """Every mail of the email edition and the server's answer; failed ones can be tried again."""

    list_display = ["publication", "subscriber", "status", "attempts", "smtp_code", "error", "last_tried_at",
                    "sent_at", "next_try_at"]
    list_filter = ["status", "publication__day__digest", ("publication__day__date", admin.DateFieldListFilter)]
    search_fields = ["subscriber__email"]
    list_select_related = ["publication__day", "subscriber"]
    readonly_fields = ["publication", "subscriber", "status", "attempts", "smtp_code", "smtp_answer", "error",
                       "created_at", "last_tried_at", "next_try_at", "sent_at", "claimed_until"]
    fields = readonly_fields
    actions = ["retry"]

    def get_queryset(self, request):
        return super().get_queryset(request).defer("publication__markdown", "publication__html")

    @admin.action(description=_("Try the failed mails again"), permissions=["retry"])
    def retry(self, request, queryset):
        retried = self.failed_retry(queryset, email_delivery_retry)
        self.message_user(request, _("%(count)d mails will be tried again.") % {"count": retried})
