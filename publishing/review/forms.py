"""The forms behind the editors' pages: every value an editor's POST carries is checked here,
so a bad or crafted request ends as a form error, never as a server error."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from digest_site.request_numbers import AsciiIntegerField, ascii_number
from papers.models import Paper
from publishing.models import DayTransition, DigestDay, Entry, ScheduledPublication
from publishing.posts.post_text import MAX_MARKDOWN_CHARS
from publishing.review.submission import ReviewStep
from translations.models import Revision

# Revision numbers and draft ids go no higher than PostgreSQL's integer; a larger one names nothing.
LARGEST_NUMBER = 2**31 - 1
# Row ids are bigint (DEFAULT_AUTO_FIELD); a larger one would overflow the query, not just match nothing.
LARGEST_ID = 2**63 - 1


def text_label(name: str) -> str:
    """A text section's label, the model field's verbose name (translated when shown), for forms, diffs and history."""
    return capfirst(Revision._meta.get_field(name).verbose_name)


def revision_number_field(**kwargs) -> forms.IntegerField:
    return AsciiIntegerField(min_value=0, max_value=LARGEST_NUMBER, **kwargs)


class EntryTextForm(forms.Form):
    # As long as the post takes them (publishing.posts.post_text): a longer text is refused here, not cut there.
    title_zh = forms.CharField(label=text_label("title_zh"), required=False, max_length=1000,
                               widget=forms.TextInput(attrs={"size": 80}))
    abstract_zh = forms.CharField(label=text_label("abstract_zh"), required=False, max_length=MAX_MARKDOWN_CHARS, widget=forms.Textarea(attrs={"rows": 8}))
    background_md = forms.CharField(label=text_label("background_md"), required=False, max_length=MAX_MARKDOWN_CHARS, widget=forms.Textarea(attrs={"rows": 6}))
    method_md = forms.CharField(label=text_label("method_md"), required=False, max_length=MAX_MARKDOWN_CHARS, widget=forms.Textarea(attrs={"rows": 10}))
    results_md = forms.CharField(label=text_label("results_md"), required=False, max_length=MAX_MARKDOWN_CHARS, widget=forms.Textarea(attrs={"rows": 6}))
    comment = forms.CharField(label=_("Comment on this change"), required=False, max_length=500)
    editor_note = forms.CharField(label=_("Editor note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    # Shown beside "Save and approve" when the text has error-severity check findings: the editor's confirmation.
    despite_errors = forms.BooleanField(label=_("Approve despite the errors the checks found"), required=False)
    # The revision the form was opened on: a save on top of an older one is refused.
    base_revision = revision_number_field(label=_("Revision you opened"), widget=forms.HiddenInput)
    # Set by the "Adopt this section" buttons: the section of the newest machine draft to take.
    _adopt = forms.ChoiceField(
        label=_("Section to adopt"),
        required=False,
        choices=[(name, text_label(name)) for name in Revision.TEXT_FIELDS],
        widget=forms.HiddenInput,
        error_messages={"invalid_choice": _("“%(value)s” is not a text section to adopt.")},
    )

    def text(self) -> dict[str, str]:
        return {name: self.cleaned_data[name].replace("\r\n", "\n") for name in Revision.TEXT_FIELDS}

    @property
    def section_to_adopt(self) -> str:
        """The text field to take from the newest machine draft, or "" for a plain save."""
        return self.cleaned_data["_adopt"]

    # The page's buttons, by name; a post naming several does the first of these.
    STEP_BUTTONS = (("_approve", ReviewStep.APPROVE), ("_reject", ReviewStep.REJECT), ("_reopen", ReviewStep.REOPEN))

    @property
    def step(self) -> ReviewStep:
        """What the pressed button does after saving: "Save" and "Save and next" only save."""
        return next((step for button, step in self.STEP_BUTTONS if button in self.data), ReviewStep.SAVE)

    @property
    def then_next(self) -> bool:
        """Whether the pressed button goes on to the day's next entry to review."""
        return bool({"_save_next", "_approve", "_reject"} & set(self.data))


class EntriesField(forms.ModelMultipleChoiceField):
    """Entries chosen by id, in ASCII digits. Anything else is refused here: an id too big for the column
    would reach the database, which fails on it instead of matching nothing; `²` would fail the query;
    `٣` (an Arabic-Indic 3) would name entry 3."""

    def clean(self, value):
        for pk in value if isinstance(value, (list, tuple)) else ():
            if ascii_number(pk, maximum=LARGEST_ID) is None:
                raise ValidationError(self.error_messages["invalid_pk_value"], code="invalid_pk_value", params={"pk": pk})
        return super().clean(value)


class AsciiIdChoiceField(forms.ModelChoiceField):
    """A row chosen by id, in ASCII digits (not `٣` for 3)."""

    def to_python(self, value):
        if value not in self.empty_values and ascii_number(value, maximum=LARGEST_ID) is None:
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(value)


class DayReviewActionForm(forms.Form):
    """The day page's bulk approve / reject: the ticked entries, of this day only, and for each
    entry the revision the editor saw (so approving text that changed since is refused)."""

    entry = EntriesField(
        label=_("Ticked entries"),
        queryset=Entry.objects.none(),
        error_messages={
            "required": _("Tick the entries to approve or reject."),
            "invalid_pk_value": _("“%(pk)s” is not an entry of this day."),
            "invalid_choice": _("“%(value)s” is not an entry of this day."),
        },
    )
    despite_errors = forms.BooleanField(label=_("Approve despite the errors the checks found"), required=False)

    def __init__(self, *args, day: DigestDay, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        entries = day.entries.select_related("paper", "day").order_by("position")
        self.fields["entry"].queryset = entries
        for entry in entries:
            self.fields[self.seen_key(entry)] = revision_number_field(
                required=False, label=_("Revision of %(arxiv_id)s you saw") % {"arxiv_id": entry.paper.arxiv_id}
            )

    @staticmethod
    def seen_key(entry: Entry) -> str:
        return f"seen-{entry.pk}"

    def clean(self) -> dict:
        cleaned = super().clean()
        approve, reject = "_approve" in self.data, "_reject" in self.data
        if approve == reject:
            raise ValidationError(_("Choose approve or reject."), code="no_action")
        cleaned["action"] = "approve" if approve else "reject"
        return cleaned

    def seen_revision(self, entry: Entry) -> int | None:
        """The revision number the editor saw for `entry` (None: the page showed no text)."""
        return self.cleaned_data.get(self.seen_key(entry))

    def seen_revisions(self) -> dict[int, int | None]:
        """For each ticked entry (by id), the revision number the editor saw."""
        return {entry.pk: self.seen_revision(entry) for entry in self.cleaned_data["entry"]}


class RevisionRestoreForm(forms.Form):
    """The history page's Restore button: which revision of the paper, on top of which current one."""

    restore = AsciiIntegerField(label=_("Revision to restore"), min_value=1, max_value=LARGEST_NUMBER)
    base_revision = revision_number_field(label=_("Revision you opened"))

    def __init__(self, *args, paper: Paper, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.paper = paper

    def clean_restore(self) -> int:
        number = self.cleaned_data["restore"]
        if not self.paper.revisions.filter(number=number).exists():
            raise ValidationError(
                _("%(arxiv_id)s has no revision %(number)d."),
                code="no_such_revision",
                params={"arxiv_id": self.paper.arxiv_id, "number": number},
            )
        return number


class VersionKeyField(forms.RegexField):
    """`r3` is revision 3 of the paper, `d12` its machine draft 12."""

    def __init__(self, **kwargs) -> None:
        super().__init__(regex=r"^[rd][0-9]{1,10}$", required=False, **kwargs)

    def clean(self, value) -> str:
        key = super().clean(value)
        if key and int(key[1:]) > LARGEST_NUMBER:
            raise ValidationError(_("There is no version %(key)s."), code="too_big", params={"key": key})
        return key


class RevisionCompareForm(forms.Form):
    """The two versions the history page compares (GET); left empty, the page picks them."""

    a = VersionKeyField(label="A")
    b = VersionKeyField(label="B")

    def chosen_keys(self) -> tuple[str | None, str | None]:
        """The two keys to compare: None where the editor chose none (the page picks), and "" for both
        when a key names no version (compare nothing rather than something not asked for)."""
        if not self.is_valid():
            return "", ""
        return self.cleaned_data["a"] or None, self.cleaned_data["b"] or None


class DayPublishForm(forms.Form):
    """The confirmation page's publish: exactly the preview shown (its hash), now or at a chosen time."""

    approved_only = forms.BooleanField(required=False, widget=forms.HiddenInput)
    content_hash = forms.CharField(max_length=64, required=False, widget=forms.HiddenInput)
    correction_note = forms.CharField(
        label=_("Correction note for readers"), required=False, max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 80}),
        help_text=_("Shown on the day's public version history when this publishes a correction."),
    )
    publish_at = forms.DateTimeField(
        label=_("Publish at (leave empty to publish now)"), required=False,
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("In the site's time zone. The entries approved at that time are published."),
    )


class ScheduledPublicationCancelForm(forms.Form):
    scheduled = AsciiIdChoiceField(queryset=ScheduledPublication.objects.none())

    def __init__(self, *args, day: DigestDay, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["scheduled"].queryset = day.scheduled_publications.filter(status=ScheduledPublication.Status.PENDING)


class DayAcknowledgeForm(forms.Form):
    """A chief editor's acknowledgement of the day's flag: why the day may go on, and which flag the
    page showed. A flag raised again, or for another reason, since the page was opened is refused,
    like a stale edit: the editor acknowledges only what they read."""

    reason = forms.CharField(
        label=_("Why the day may go on"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 80}),
        error_messages={"required": _("Say why the day may go on despite the flag.")},
    )
    flag = AsciiIntegerField(label=_("Flag you read"), min_value=1, max_value=LARGEST_ID, widget=forms.HiddenInput)

    def __init__(self, *args, day: DigestDay, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.current_flag: DayTransition | None = (
            day.transitions.flags().filter(to_status=DigestDay.Status.NEEDS_ATTENTION).first()
            if day.status == DigestDay.Status.NEEDS_ATTENTION else None
        )
        if self.current_flag is not None:
            self.fields["flag"].initial = self.current_flag.pk

    def clean_flag(self) -> int:
        flag = self.cleaned_data["flag"]
        if self.current_flag is None or flag != self.current_flag.pk:
            raise ValidationError(
                _("The day's flag changed since you opened the page; read it again before acknowledging."),
                code="stale_flag",
            )
        return flag
