from functools import partial

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from digest_site.admin_mixins import ReadOnlyAdminMixin
from digests.models import Digest
from translations.checks import ERROR, SEVERITY_LABELS, check_named, severity_of
from translations.glossary import glossary_import
from translations.glossary_files import MAX_FILE_BYTES, GlossaryFileError, read_glossary_file, write_csv, write_tbx
from translations.llm import LLMConfig, LLMError
from translations.memory import memory_unit_confirm
from translations.models import GlossaryTerm, MachineDraft, MemoryUnit, PaperText, SuggestedTerm
from translations.services import papers_draft_again
from translations.suggestions import SuggestionError, suggestion_accept, suggestion_dismiss
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
        problem = LLMConfig.from_settings().problem_shown
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
            self.message_user(request, exc.shown, messages.ERROR)
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


class LinesField(forms.CharField):
    """A list of strings edited as one per line (variants, forbidden renderings)."""

    widget = forms.Textarea(attrs={"rows": 3, "cols": 40})

    def prepare_value(self, value):
        if isinstance(value, list):
            return "\n".join(value)
        return value

    def to_python(self, value):
        return [line.strip() for line in (value or "").splitlines() if line.strip()]


class GlossaryTermForm(forms.ModelForm):
    variants = LinesField(label=_("English variants"), required=False,
                          help_text=_("One per line: acronym or expansion, other spellings. "
                                      "Plurals and hyphen/space spellings are matched anyway."))
    forbidden = LinesField(label=_("forbidden renderings"), required=False,
                           help_text=_("One per line: Chinese renderings that must not be used for this term."))

    class Meta:
        model = GlossaryTerm
        fields = ["digest", "term", "kind", "rendering", "variants", "forbidden", "category", "note"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["digest"].empty_label = _("the newsroom's (every digest)")


class GlossaryImportForm(forms.Form):
    file = forms.FileField(label=_("glossary file"), help_text=_("CSV (columns: source, kind, rendering, variants, "
                                                                 "forbidden, category, note) or TBX"))
    digest = forms.ModelChoiceField(label=_("digest"), queryset=Digest.objects.all(), required=False,
                                    empty_label=_("the newsroom's (every digest)"),
                                    help_text=_("Whose glossary the file's terms go into: the newsroom's, or a "
                                                "digest's additions (which win over the newsroom's in it)."))
    dry_run = forms.BooleanField(label=_("only show what would change"), required=False)


@admin.register(GlossaryTerm)
class GlossaryTermAdmin(admin.ModelAdmin):
    form = GlossaryTermForm
    change_list_template = "admin/translations/glossaryterm/change_list.html"
    list_display = ["term", "kind", "rendering", "forbidden_list", "variant_list", "glossary_of", "category",
                    "updated_at"]
    list_filter = ["digest", "kind", "category"]
    list_select_related = ["digest"]
    search_fields = ["term", "rendering", "note", "category"]
    actions = ["export_csv", "export_tbx"]

    @admin.display(description=_("glossary"), ordering="digest")
    def glossary_of(self, term):
        return term.digest.name if term.digest_id else _("newsroom")

    @admin.display(description=_("forbidden renderings"))
    def forbidden_list(self, term):
        return "、".join(term.forbidden)

    @admin.display(description=_("English variants"))
    def variant_list(self, term):
        return ", ".join(term.variants)

    def _export(self, queryset, file_format: str) -> HttpResponse:
        terms = queryset.order_by("term")
        if file_format == "csv":
            response = HttpResponse(write_csv(terms), content_type="text/csv; charset=utf-8")
        else:
            response = HttpResponse(write_tbx(terms), content_type="application/x-tbx+xml")
        response["Content-Disposition"] = f'attachment; filename="glossary.{file_format}"'
        return response

    @admin.action(description=_("Export selected terms as CSV"), permissions=["view"])
    def export_csv(self, request, queryset):
        return self._export(queryset, "csv")

    @admin.action(description=_("Export selected terms as TBX"), permissions=["view"])
    def export_tbx(self, request, queryset):
        return self._export(queryset, "tbx")

    def has_import_permission(self, request) -> bool:
        return request.user.has_perm("translations.import_glossaryterm")

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "may_import": self.has_import_permission(request)}
        return super().changelist_view(request, extra_context)

    def get_urls(self):
        return [
            path("import/", self.admin_site.admin_view(self.import_view), name="translations_glossaryterm_import"),
            *super().get_urls(),
        ]

    def import_view(self, request):
        """A chief editor's import of a CSV or TBX file: the same report as import_glossary."""
        if not self.has_import_permission(request):
            raise PermissionDenied
        report = problem = None
        form = GlossaryImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                if upload.size > MAX_FILE_BYTES:
                    raise GlossaryFileError(_("larger than %(limit)s bytes") % {"limit": f"{MAX_FILE_BYTES:,}"})
                rows = read_glossary_file(upload.name, upload.read())
            except GlossaryFileError as exc:
                problem = f"{upload.name}: {exc}"
            else:
                report = glossary_import(rows=rows, digest=form.cleaned_data["digest"],
                                         dry_run=form.cleaned_data["dry_run"])
                if report.applied:
                    self.message_user(request, report.message, messages.SUCCESS)
                    return redirect("admin:translations_glossaryterm_changelist")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Import glossary terms"),
            "form": form,
            "report": report,
            "problem": problem,
        }
        return TemplateResponse(request, "admin/translations/glossaryterm/import.html", context)


@admin.register(SuggestedTerm)
class SuggestedTermAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["source", "machine_rendering", "rendering", "entries", "status", "examples", "decision"]
    list_display_links = ["source"]
    list_filter = ["status"]
    search_fields = ["source", "machine_rendering", "rendering"]
    actions = ["accept", "dismiss"]
    fields = ["source", "machine_rendering", "rendering", "entries", "status", "examples", "glossary_term",
              "decided_by", "decided_at", "created_at"]
    readonly_fields = ["examples"]

    @admin.display(description=_("examples"))
    def examples(self, suggestion):
        corrections = suggestion.corrections().select_related("paper").order_by("-id")[:5]
        return format_html_join(
            mark_safe("<br>"), "<a href=\"{}\">{}</a> {}",
            ((reverse("admin:papers_paper_change", args=[c.paper_id]), c.paper.arxiv_id, c.paper.title[:60])
             for c in corrections),
        )

    @admin.display(description=_("decision"))
    def decision(self, suggestion):
        if suggestion.status != SuggestedTerm.Status.PENDING:
            return ""
        # Buttons of the change list's own form (it carries the CSRF token): one click each.
        return format_html(
            '<button type="submit" class="button" formaction="{}" formmethod="post">{}</button> '
            '<button type="submit" class="button" formaction="{}" formmethod="post">{}</button>',
            reverse("admin:translations_suggestedterm_accept", args=[suggestion.pk]), _("Accept"),
            reverse("admin:translations_suggestedterm_dismiss", args=[suggestion.pk]), _("Dismiss"),
        )

    def get_list_display(self, request):
        shown = super().get_list_display(request)
        return shown if self.has_decide_permission(request) else [name for name in shown if name != "decision"]

    def has_decide_permission(self, request) -> bool:
        return request.user.has_perm("translations.decide_suggestedterm")

    def get_urls(self):
        return [
            path("<int:suggestion_id>/accept/", self.admin_site.admin_view(partial(self.decide_view, accept=True)),
                 name="translations_suggestedterm_accept"),
            path("<int:suggestion_id>/dismiss/", self.admin_site.admin_view(partial(self.decide_view, accept=False)),
                 name="translations_suggestedterm_dismiss"),
            *super().get_urls(),
        ]

    def decide_view(self, request, suggestion_id: int, *, accept: bool):
        if request.method != "POST":
            return redirect("admin:translations_suggestedterm_changelist")
        suggestion = get_object_or_404(SuggestedTerm, pk=suggestion_id)
        self._decide(request, [suggestion], accept=accept)
        return redirect("admin:translations_suggestedterm_changelist")

    def _decide(self, request, suggestions, *, accept: bool) -> None:
        for suggestion in suggestions:
            try:
                if accept:
                    term = suggestion_accept(suggestion=suggestion, user=request.user)
                    self.log_change(request, suggestion, f"Accepted: glossary term {term}")
                    self.message_user(request, _("Added to the glossary: %(term)s") % {"term": term})
                else:
                    suggestion_dismiss(suggestion=suggestion, user=request.user)
                    self.log_change(request, suggestion, "Dismissed")
                    self.message_user(request, _("Dismissed: %(term)s") % {"term": suggestion})
            except PermissionDenied:
                raise
            except (SuggestionError, ValidationError) as exc:
                self.message_user(request, f"{suggestion}: {exc}", messages.ERROR)

    @admin.action(description=_("Accept: add to the glossary"), permissions=["decide"])
    def accept(self, request, queryset):
        self._decide(request, queryset, accept=True)

    @admin.action(description=_("Dismiss"), permissions=["decide"])
    def dismiss(self, request, queryset):
        self._decide(request, queryset, accept=False)


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

    Units are not edited (a correction is a new approval); a wrong one may be deleted. A unit approved
    over a check error is held (filter "reusable: no") until an editor confirms it here.
    """

    list_display = ["source", "target", "kind", "origin", "reusable", "held_checks", "paper_link", "created_at"]
    list_filter = ["reusable", "kind", "origin", ("created_at", admin.DateFieldListFilter)]
    search_fields = ["source", "target", "paper__arxiv_id", "note"]
    list_select_related = ["paper"]
    date_hierarchy = "created_at"
    actions = ["export_tmx", "confirm_units"]
    fields = ["kind", "source", "target", "origin", "reusable", "held_checks", "confirmed_by", "confirmed_at", "paper",
              "paper_version", "revision", "note", "created_at"]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_export_permission(self, request):
        return request.user.has_perm("translations.view_memoryunit")

    def has_confirm_permission(self, request):
        return request.user.has_perm("translations.confirm_memoryunit")

    @admin.display(description=_("paper"), ordering="paper__arxiv_id")
    def paper_link(self, unit):
        return f"{unit.paper.arxiv_id}v{unit.paper_version}" if unit.paper_id else "—"

    @admin.display(description=_("approved despite checks"))
    def held_checks(self, unit):
        names = [str(check.name) if (check := check_named(check_id)) else check_id for check_id in unit.held_for]
        return "、".join(names) or "—"

    @admin.action(description=_("Confirm the selected held units as reusable"), permissions=["confirm"])
    def confirm_units(self, request, queryset):
        confirmed = 0
        for unit in queryset.held():
            memory_unit_confirm(unit=unit, user=request.user)
            self.log_change(request, unit, "Confirmed as reusable")  # the unit's history says who and when
            confirmed += 1
        self.message_user(request, ngettext("%(count)d unit confirmed: drafting may now reuse it.",
                                            "%(count)d units confirmed: drafting may now reuse them.", confirmed)
                          % {"count": confirmed}, messages.SUCCESS if confirmed else messages.WARNING)

    @admin.action(description=_("Export the selected units as TMX"), permissions=["export"])
    def export_tmx(self, request, queryset):
        response = HttpResponse(memory_to_tmx(queryset.select_related("paper").order_by("id")),
                                content_type="application/x-tmx+xml")
        response["Content-Disposition"] = 'attachment; filename="translation-memory.tmx"'
        return response
