from django.contrib import admin, messages
from django.http import HttpResponse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from digest_site.admin_mixins import ReadOnlyAdminMixin
from translations.checks import ERROR, SEVERITY_LABELS, check_named, severity_of
from translations.llm import LLMConfig, LLMError
from translations.models import GlossaryTerm, MachineDraft, MemoryUnit, PaperText
from translations.services import papers_draft_again
from translations.tmx import memory_to_tmx


@admin.register(MachineDraft)
class MachineDraftAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    # Drafts are machine output, kept as written: never edited or deleted here.
    list_display = [
        "id", "paper_arxiv_id", "status", "short_error", "warning_count", "check_count", "text_source", "model_name",
        "prompt_version", "input_tokens", "output_tokens", "latency_ms", "created_at",
    ]
    list_filter = ["status", "text_source", "model_name", "prompt_version", ("created_at", admin.DateFieldListFilter)]
    list_select_related = ["paper"]
    search_fields = ["paper__arxiv_id", "paper__title", "error"]
    date_hierarchy = "created_at"
    actions = ["draft_again"]
    fieldsets = [
        (None, {"fields": ["paper", "paper_version", "status", "error", "warning_list", "check_list"]}),
        (_("Chinese draft"), {"fields": ["title_zh", "abstract_zh", "background_md", "method_md", "results_md"]}),
        (
            _("Provenance"),
            {
                "fields": [
                    "model_name", "endpoint_host", "prompt_version", "text_source", "input_tokens", "output_tokens",
                    "latency_ms", "attempts", "created_at", "started_at", "finished_at",
                ]
            },
        ),
    ]
    readonly_fields = ["warning_list", "check_list"]

    def changelist_view(self, request, extra_context=None):
        problem = LLMConfig.from_settings().problem
        if problem:
            self.message_user(request, problem, messages.WARNING)
        return super().changelist_view(request, extra_context)


    def has_draft_again_permission(self, request):
        return request.user.has_perm("translations.view_machinedraft")

    @admin.action(description=_("Draft again (adds a new draft, keeps this one)"), permissions=["draft_again"])
    def draft_again(self, request, queryset):
        try:
            queued = papers_draft_again(papers={draft.paper for draft in queryset.select_related("paper")})
        except LLMError as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return
        self.message_user(
            request, ngettext("%d paper queued for drafting.", "%d papers queued for drafting.", queued) % queued
        )

    @admin.display(description=_("paper"), ordering="paper__arxiv_id")
    def paper_arxiv_id(self, draft):
        return draft.paper.arxiv_id

    @admin.display(description=_("error"))
    def short_error(self, draft):
        return draft.error if len(draft.error) <= 80 else draft.error[:79] + "…"

    @admin.display(description=_("warnings"))
    def warning_count(self, draft):
        return len(draft.warnings) or ""

    @admin.display(description=_("warnings"))
    def warning_list(self, draft):
        if not draft.warnings:
            return "—"
        return format_html("<ul>{}</ul>", format_html_join("", "<li>{}</li>", ((w["message"],) for w in draft.warnings)))

    @admin.display(description=_("check errors / warnings"))
    def check_count(self, draft):
        if not draft.checks:
            return ""
        errors = sum(1 for finding in draft.checks if severity_of(finding["check"]) == ERROR)
        return f"{errors} / {len(draft.checks) - errors}"

    @admin.display(description=_("quality checks"))
    def check_list(self, draft):
        if draft.checks is None:
            return "—"
        if not draft.checks:
            return _("No check found anything.")
        rows = []
        for finding in draft.checks:
            check = check_named(finding["check"])
            name = check.name if check else finding["check"]
            rows.append((SEVERITY_LABELS[severity_of(finding["check"])], name, finding["message"]))
        return format_html("<ul>{}</ul>", format_html_join("", "<li>{} · {}: {}</li>", rows))


@admin.register(GlossaryTerm)
class GlossaryTermAdmin(admin.ModelAdmin):
    list_display = ["term", "rendering", "note"]
    search_fields = ["term", "rendering", "note"]


@admin.register(PaperText)
class PaperTextAdmin(admin.ModelAdmin):
    list_display = ["paper", "paper_version", "kind", "length", "fetched_at"]
    list_filter = ["kind"]
    search_fields = ["paper__arxiv_id"]
    list_select_related = ["paper"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("characters"))
    def length(self, paper_text):
        return format_html("{}", len(paper_text.text))


@admin.register(MemoryUnit)
class MemoryUnitAdmin(admin.ModelAdmin):
    """The translation memory: read here, exported as TMX; filled by approvals and `import_memory`.

    Units are not edited (a correction is a new approval); a wrong one may be deleted.
    """

    list_display = ["source", "target", "kind", "origin", "paper_link", "created_at"]
    list_filter = ["kind", "origin", ("created_at", admin.DateFieldListFilter)]
    search_fields = ["source", "target", "paper__arxiv_id", "note"]
    list_select_related = ["paper"]
    date_hierarchy = "created_at"
    actions = ["export_tmx"]
    fields = ["kind", "source", "target", "origin", "paper", "paper_version", "revision", "note", "created_at"]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_export_permission(self, request):
        return request.user.has_perm("translations.view_memoryunit")

    @admin.display(description=_("paper"), ordering="paper__arxiv_id")
    def paper_link(self, unit):
        return f"{unit.paper.arxiv_id}v{unit.paper_version}" if unit.paper_id else "—"

    @admin.action(description=_("Export the selected units as TMX"), permissions=["export"])
    def export_tmx(self, request, queryset):
        response = HttpResponse(memory_to_tmx(queryset.select_related("paper").order_by("id")),
                                content_type="application/x-tmx+xml")
        response["Content-Disposition"] = 'attachment; filename="translation-memory.tmx"'
        return response
