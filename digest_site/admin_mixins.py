"""Behaviour shared by the apps' admin classes."""

from django.contrib import messages
from django.contrib.admin import helpers
from django.utils.translation import gettext

from digest_site.request_numbers import row_id_valid


class ReadOnlyAdminMixin:
    """For rows written only by the system (fetches, the LLM, the pipeline, publishing):
    the admin shows them and runs its actions, but never adds, edits or deletes one."""

    def has_add_permission(self, request, obj=None):  # an inline's is asked with the parent row too
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class RowIdGuardMixin:
    """Mixed into every ModelAdmin the newsroom's site registers (newsroom.admin_site): ids a request
    names are checked against the model's key before Django's admin queries with them.

    Django filters an action's rows with `pk__in=<the ticked ids>` and reads an object's page by
    `pk=<the id in the URL>`; an id the key cannot hold (`_selected_action=²`, `abc`, 25 digits) raised
    there (a 500), and `٣` read as 3. Such a request now names no row: the admin's own "no items"
    message for an action, its "does not exist" page for an object.
    """

    def response_action(self, request, queryset):
        ticked = request.POST.getlist(helpers.ACTION_CHECKBOX_NAME)
        if not all(row_id_valid(self.model._meta.pk, value) for value in ticked):
            self.message_user(request, gettext("The ticked rows are not rows of this list; nothing was changed."),
                              messages.WARNING)
            return None  # Django's changelist then redirects back to itself, as for an action it did not run
        return super().response_action(request, queryset)

    def get_object(self, request, object_id, from_field=None):
        if from_field is None and not row_id_valid(self.model._meta.pk, object_id):
            return None
        return super().get_object(request, object_id, from_field)
