"""Forms for the sheet editor and the review actions."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.contrib.auth import get_user_model

from core.form_renderer import PlainWidgetRenderer
from people.roles import display_name

from projects import validation
from projects.docx.data import IndicatorData
from projects.models import SheetState, TargetSheet
from projects.rules import ERROR, Finding, PlanPoint, Row, SheetContent
from workflow.steps import RESUME_CHOICES

TEXTAREA = {"rows": 2, "class": "grow"}


def _text(spec, **kwargs) -> forms.CharField:
    """A text field with the limits of ``projects.validation`` (length, control characters)."""
    label, max_length, _ = spec
    return forms.CharField(label=label, max_length=max_length, validators=[validation.validator(spec)], **kwargs)


class SheetForm(forms.ModelForm):
    purpose = _text(validation.PURPOSE, required=False, widget=forms.Textarea(attrs=TEXTAREA))
    goal = _text(validation.GOAL, required=False, widget=forms.Textarea(attrs={"rows": 3}))

    class Meta:
        model = TargetSheet
        fields = ["budget_total", "fiscal_funds", "other_funds", "purpose", "goal"]


class IndicatorForm(forms.Form):
    category = _text(validation.INDICATOR_FIELDS["category"], widget=forms.HiddenInput)
    subcategory = _text(validation.INDICATOR_FIELDS["subcategory"], widget=forms.HiddenInput)
    name = _text(validation.INDICATOR_FIELDS["name"], widget=forms.Textarea(attrs={"rows": 1, "class": "grow single-line"}))
    description = _text(validation.INDICATOR_FIELDS["description"], required=False, widget=forms.Textarea(attrs=TEXTAREA))
    target_value = _text(
        validation.INDICATOR_FIELDS["target_value"], required=False, widget=forms.Textarea(attrs={"rows": 1, "class": "grow single-line"})
    )
    basis = _text(validation.INDICATOR_FIELDS["basis"], required=False, widget=forms.Textarea(attrs=TEXTAREA))


class BaseIndicatorFormSet(forms.BaseFormSet):
    default_error_messages = {
        "too_many_forms": f"绩效指标最多 {validation.MAX_INDICATOR_ROWS} 行，请删除多余的行。",
    }


IndicatorFormSet = forms.formset_factory(
    IndicatorForm, formset=BaseIndicatorFormSet, extra=0, can_delete=True, can_order=True,
    max_num=validation.MAX_INDICATOR_ROWS, validate_max=True, absolute_max=validation.MAX_INDICATOR_ROWS + 50,
    renderer=PlainWidgetRenderer(),  # up to 200 rows × 8 widgets: written in Python, the same HTML as Django's templates
)


class PlanForm(forms.Form):
    """One percent field per checkpoint of the sheet's year."""

    def __init__(self, *args, checkpoints, initial_percents: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self.checkpoints = list(checkpoints)
        for checkpoint in self.checkpoints:
            self.fields[f"cp_{checkpoint.pk}"] = forms.DecimalField(
                label=checkpoint.label, max_digits=6, decimal_places=2, min_value=0, max_value=100,
                initial=initial_percents.get(checkpoint.pk, checkpoint.planned_percent),
            )

    def plan(self) -> dict:
        return {cp: self.cleaned_data[f"cp_{cp.pk}"] for cp in self.checkpoints}


def ordered_indicators(formset) -> list[IndicatorData]:
    """The rows the user kept, in the order they arranged them; a row added without a place (no ORDER, e.g. from a
    page without JavaScript) goes to the end of its 一级/二级 group, never to the bottom of the table."""
    kept = [f for f in formset.forms if f.cleaned_data and not f.cleaned_data.get("DELETE")]
    placed = sorted((f for f in kept if f.cleaned_data.get("ORDER") is not None), key=lambda f: f.cleaned_data["ORDER"])
    rows = [_row(f) for f in placed]
    for form in kept:
        if form.cleaned_data.get("ORDER") is None:
            rows = row_insert(rows, _row(form))
    return rows


def _row(form) -> IndicatorData:
    return IndicatorData(
        **{name: form.cleaned_data.get(name, "").strip() for name in ("category", "subcategory", "name", "description", "target_value", "basis")}
    )


def row_insert(rows: list, row) -> list:
    """``rows`` with ``row`` placed after the last row of its (一级, 二级) group; a group not yet on the sheet goes
    where the form's order of groups puts it (after the groups before it), an unknown one after its 一级 group."""
    from library.common import category_order

    order = category_order()
    key = (row.category, row.subcategory)
    same = [i for i, r in enumerate(rows) if (r.category, r.subcategory) == key]
    if same:
        at = same[-1] + 1
    elif key in order:
        before = [i for i, r in enumerate(rows) if order.get((r.category, r.subcategory), len(order)) < order[key]]
        at = before[-1] + 1 if before else 0
    else:
        kin = [i for i, r in enumerate(rows) if r.category == row.category]
        at = kin[-1] + 1 if kin else len(rows)
    return rows[:at] + [row] + rows[at:]


def content_from_forms(sheet_form, plan_form, formset) -> SheetContent:
    """What the checker reads, from the editor's (possibly half-valid) input, for findings as you type."""

    def amount(name):
        value = sheet_form.cleaned_data.get(name) if hasattr(sheet_form, "cleaned_data") else None
        return value if value is not None else Decimal(0)

    return SheetContent(
        budget_total=amount("budget_total"),
        fiscal_funds=amount("fiscal_funds"),
        other_funds=amount("other_funds"),
        plan=[PlanPoint(cp.label, plan_form.cleaned_data.get(f"cp_{cp.pk}") if hasattr(plan_form, "cleaned_data") else None) for cp in plan_form.checkpoints],
        rows=[Row(i.category, i.subcategory, i.name, i.description, i.target_value, i.basis) for i in ordered_indicators(formset)],
    )


class RevisionNoteForm(forms.Form):
    """修改说明: what a resubmission after a return changed (required by ``workflow.flow.ApprovalFlow.submit``; only when submitting,
    so the browser must not demand it for a plain 保存)."""

    use_required_attribute = False

    comment = forms.CharField(
        label="修改说明（退回后重新提交必填）", max_length=validation.COMMENT_MAX,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": "简要说明按退回意见修改了什么"}),
        error_messages={"required": "退回修改后重新提交，请填写修改说明（简要说明按退回意见改了什么）。"},
    )


def input_findings(sheet_form, plan_form, formset) -> list[Finding]:
    """The editor's 体检 also counts input the forms refuse (an amount, a length, an invisible character), so it never
    says 未发现问题 beside fields marked red. Call after the forms were validated."""
    count = sum(len(messages) for f in (sheet_form, plan_form) for messages in f.errors.values()) + formset.total_error_count()
    if not count:
        return []
    return [Finding("input_invalid", ERROR, f"有 {count} 处输入不符合要求，已在该处标红并写明原因；修正后才能保存。")]


def revision_note_findings(sheet: TargetSheet, data) -> list[Finding]:
    """The editor's 体检 of a returned sheet also counts a missing 修改说明 (``data``: the editor's input, or None when
    the page is opened): without it 保存并提交审核 is refused, so the panel must not say 未发现问题."""
    if sheet.state != SheetState.RETURNED or ((data or {}).get("note-comment") or "").strip():
        return []
    return [Finding("revision_note_missing", ERROR, "未填写修改说明：退回修改后重新提交审核时必填，请在页首“修改说明”中简要说明按退回意见改了什么。", field="note")]


class CommentForm(forms.Form):
    comment = forms.CharField(label="意见", required=False, max_length=validation.COMMENT_MAX, widget=forms.Textarea(attrs={"rows": 3}))


class ReturnForm(forms.Form):
    comment = forms.CharField(
        label="退回意见", widget=forms.Textarea(attrs={"rows": 3}), error_messages={"required": "退回修改必须填写意见。"}
    )
    resume = forms.ChoiceField(label="修改后", choices=RESUME_CHOICES, required=False, widget=forms.RadioSelect)


class ReassignForm(forms.Form):
    user = forms.ModelChoiceField(label="转办给", queryset=get_user_model().objects.none(), error_messages={"required": "请选择转办对象。", "invalid_choice": "请选择有效的转办对象。"})
    comment = forms.CharField(label="转办原因", widget=forms.Textarea(attrs={"rows": 2}), error_messages={"required": "转办必须填写原因。"})

    def __init__(self, *args, candidates=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = get_user_model().objects.filter(pk__in=[u.pk for u in candidates])
        self.fields["user"].label_from_instance = display_name


class UploadForm(forms.Form):
    file = forms.FileField(
        label="Word 文件（.docx）", error_messages={"required": "请选择要导入的 .docx 文件。"},
        widget=forms.FileInput(attrs={"accept": ".docx,application/vnd.openxmlformats-officedocument.wordprocessingml.document"}),
    )
    year = forms.IntegerField(label="预算年度", min_value=2000, max_value=2100, initial=2024)
    section = forms.ModelChoiceField(label="导入到科室", queryset=None, empty_label="（不指定）")

    def __init__(self, *args, sections, required: bool, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["section"]
        field.queryset = sections
        field.required = required
        field.error_messages["required"] = "请选择导入到哪个科室。"
        if required and len(sections) == 1:
            field.initial = sections[0]


def _goals_text(label: str, name: str) -> forms.CharField:
    _, max_length, _ = spec = validation.GOALS_FIELDS[name]
    return forms.CharField(
        label=label, required=False, max_length=max_length, validators=[validation.validator(spec)],
        widget=forms.Textarea(attrs={"rows": 10}), help_text="每段一行",
    )


class GoalsForm(forms.Form):
    overall = _goals_text("一、总体绩效目标", "overall")
    itemized = _goals_text("二、分项绩效目标", "itemized")
    safeguards = _goals_text("三、工作保障措施", "safeguards")
