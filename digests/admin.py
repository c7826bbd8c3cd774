"""The digests in the admin (the site editor's: digests and who works on which), and what every admin of a
digest's rows shares: the rows of the user's digests only (digests.access), and a filter by digest."""

from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext_lazy as _

from digests.access import digests_of, rows_of_user_digests, user_may, user_sees_digest
from digests.models import Digest, DigestRole


def digest_id_of(obj, digest_field: str) -> int:
    """The id of the digest of `obj`, by the path `digest_field` ("digest", "day__digest")."""
    *through, last = digest_field.split("__")
    for name in through:
        obj = getattr(obj, name)
    return getattr(obj, f"{last}_id")


def digest_list_filter(digest_field: str = "digest") -> type[admin.SimpleListFilter]:
    """A list filter by digest (among the user's own), shown when the user sees more than one."""

    class DigestListFilter(admin.SimpleListFilter):
        title = _("digest")
        parameter_name = "digest"

        def lookups(self, request, model_admin):
            return [(str(digest.pk), digest.name) for digest in digests_of(request.user)]

        def has_output(self):
            return len(self.lookup_choices) > 1

        def queryset(self, request, queryset):
            if self.value() in {key for key, _label in self.lookup_choices}:
                return queryset.filter(**{f"{digest_field}_id": int(self.value())})
            return queryset

    return DigestListFilter


class DigestRowsAdminMixin:
    """An admin of rows that belong to a digest: its lists show the user's digests' rows only; a row of
    another digest is refused (403), not shown nor changed. `digest_field`: the path to the row's digest;
    `change_permission`: what changing a row asks in its digest (None: the model's change permission)."""

    digest_field = "digest"
    change_permission: str | None = None

    def get_queryset(self, request):
        return rows_of_user_digests(super().get_queryset(request), request.user, digest_field=self.digest_field)

    def get_object(self, request, object_id, from_field=None):
        found = super().get_object(request, object_id, from_field)
        if found is None and from_field is None and self._row_of_another_digest(object_id):
            raise PermissionDenied
        return found

    def _row_of_another_digest(self, object_id) -> bool:
        try:
            pk = self.model._meta.pk.to_python(object_id)
        except (ValidationError, ValueError):
            return False
        return self.model._default_manager.filter(pk=pk).exists()

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) and (
            obj is None or user_sees_digest(request.user, digest_id_of(obj, self.digest_field)))

    def has_change_permission(self, request, obj=None):
        permission = self.change_permission or f"{self.opts.app_label}.change_{self.opts.model_name}"
        return super().has_change_permission(request, obj) and (
            obj is None or user_may(request.user, permission, digest_id_of(obj, self.digest_field)))

    def has_delete_permission(self, request, obj=None):
        # Where an admin allows deleting at all, only rows of the user's own digests (the list holds no others).
        return super().has_delete_permission(request, obj) and (
            obj is None or user_may(request.user, f"{self.opts.app_label}.delete_{self.opts.model_name}",
                                    digest_id_of(obj, self.digest_field)))


class DigestRoleInline(admin.TabularInline):
    model = DigestRole
    fields = ["user", "role", "created_at"]
    readonly_fields = ["created_at"]
    autocomplete_fields = ["user"]
    extra = 0
    verbose_name_plural = _("who works on this digest")


@admin.register(Digest)
class DigestAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "categories_text", "anchor", "time_zone", "position"]
    list_editable = ["position"]
    prepopulated_fields = {"slug": ["name"]}
    fieldsets = [
        (None, {"fields": ["name", "slug", "description", "position"]}),
        (_("Papers"), {"fields": ["categories", "cross_lists", "include_keywords", "exclude_keywords"]}),
        (_("Days and posts"), {"fields": ["anchor", "time_zone", "title_pattern", "export_dir"]}),
    ]
    inlines = [DigestRoleInline]

    @admin.display(description=_("categories"))
    def categories_text(self, digest: Digest) -> str:
        return ", ".join(digest.categories)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # a digest's days and readers depend on it; one is retired, not deleted


@admin.register(DigestRole)
class DigestRoleAdmin(admin.ModelAdmin):
    """Who works on which digest, in which role: the site editor's list of people."""

    list_display = ["user", "digest", "role", "created_at"]
    list_filter = ["role", digest_list_filter()]
    list_select_related = ["user", "digest"]
    search_fields = ["user__username", "user__email", "user__first_name", "user__last_name"]
    autocomplete_fields = ["user"]
    fields = ["user", "digest", "role"]
