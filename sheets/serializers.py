from decimal import Decimal

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from people.roles import display_name
from projects import revisions, validation
from projects.models import SheetState, TargetSheet
from sheets.selectors import listed_title
from workflow.models import Event


class PlanPointSerializer(serializers.Serializer):
    label = serializers.CharField(source="checkpoint.label", read_only=True)
    date = serializers.DateField(source="checkpoint.date")
    percent = serializers.DecimalField(source="cumulative_percent", max_digits=6, decimal_places=2)


def _text(spec, **kwargs) -> serializers.CharField:
    """A text field with the limits of ``projects.validation`` (length, control characters)."""
    return serializers.CharField(max_length=spec[1], validators=[validation.validator(spec)], **kwargs)


ROW = validation.INDICATOR_FIELDS


class IndicatorSerializer(serializers.Serializer):
    category = _text(ROW["category"])
    subcategory = _text(ROW["subcategory"])
    name = _text(ROW["name"])
    description = _text(ROW["description"], allow_blank=True, required=False, default="")
    target_value = _text(ROW["target_value"], allow_blank=True, required=False, default="")
    basis = _text(ROW["basis"], allow_blank=True, required=False, default="")
    value_kind = serializers.CharField(read_only=True)
    value_operator = serializers.CharField(read_only=True)
    value_number = serializers.DecimalField(max_digits=20, decimal_places=4, read_only=True)
    value_unit = serializers.CharField(read_only=True)


_CREATED = serializers.DateTimeField()


def event_data(event: Event) -> dict:
    """One entry of a sheet's 办理记录 as the API shows it (``EventDataSerializer`` describes it for the schema): a
    plain dict, no serializer built per call (a sheet's history is read on every detail and after every move)."""
    return {
        "id": event.pk, "action": event.action, "action_label": event.get_action_display(),
        "actor": event.actor.username if event.actor_id else None, "actor_name": display_name(event.actor),
        "on_behalf_of": event.on_behalf_of.username if event.on_behalf_of_id else None, "actor_text": event.actor_text,
        "target_user": event.target_user.username if event.target_user_id else None,
        "from_state": event.from_state, "to_state": event.to_state, "comment": event.comment,
        "created": _CREATED.to_representation(event.created),
    }


class SheetListSerializer(serializers.ModelSerializer):
    project_code = serializers.CharField(source="project.code")
    title = serializers.CharField(source="display_title")
    year = serializers.IntegerField(source="listed_year")  # read with the page (``sheets.selectors.with_year_and_agency``)
    agency = serializers.CharField(source="agency_code")
    section = serializers.CharField(source="section.name", default=None)
    state_label = serializers.CharField(source="get_state_display")

    class Meta:
        model = TargetSheet
        fields = ["id", "project_code", "title", "year", "agency", "section", "state", "state_label", "version", "budget_total"]


def sheet_list_rows(sheets) -> list[dict]:
    """``SheetListSerializer(sheets, many=True).data`` of a page of ``sheets.selectors.sheet_list``, written directly:
    DRF's walk over each row's fields cost more than reading the page (a 100-row page of the API). The serializer
    stays the schema's declaration; a test holds the two to the same output."""
    money = SheetListSerializer().fields["budget_total"]  # DRF's own rounding and string form of an amount
    states = dict(SheetState.choices)
    return [
        {
            "id": sheet.pk, "project_code": str(sheet.project_code),
            "title": listed_title(sheet),
            "year": int(sheet.listed_year), "agency": str(sheet.agency_code),
            "section": str(sheet.section_name) if sheet.section_id else None,
            "state": str(sheet.state), "state_label": str(states.get(sheet.state, sheet.state)), "version": int(sheet.version),
            "budget_total": money.to_representation(sheet.budget_total) if sheet.budget_total is not None else None,
        }
        for sheet in sheets
    ]


class VersionSerializer(serializers.Serializer):
    """One version of a published sheet's targets (``projects.revisions.Version``)."""

    id = serializers.IntegerField()
    date = serializers.DateTimeField(source="since", allow_null=True, help_text="生效时间（公开或调整通过）")
    until = serializers.DateTimeField(allow_null=True, help_text="失效时间：被调整替代的时间；在用的版本为 null")
    reason = serializers.CharField(help_text="使其生效的调整原因；年初版本为空")
    current = serializers.BooleanField()


class OpenAdjustmentSerializer(serializers.Serializer):
    """The sheet's adjustment under way (目标调整): read, patched and moved at /api/sheets/{id}/ by its own id."""

    id = serializers.IntegerField()
    state = serializers.CharField()
    reason = serializers.CharField()
    opened_by = serializers.CharField(source="opened_by.username", default=None)
    opened_at = serializers.DateTimeField(source="created")


class SheetDetailSerializer(SheetListSerializer):
    year = serializers.IntegerField(source="fiscal_year.year")
    agency = serializers.CharField(source="agency.code")
    plan = PlanPointSerializer(many=True)
    indicators = IndicatorSerializer(many=True)
    findings = serializers.SerializerMethodField()
    history = serializers.SerializerMethodField()
    revises = serializers.IntegerField(source="revises_id", allow_null=True, help_text="目标调整：所调整的绩效目标表的 id")
    reason = serializers.CharField(help_text="目标调整：调整原因；已公开的表：使在用版本生效的调整原因")
    adjusted_budget = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True)
    adjustment = serializers.SerializerMethodField()
    versions = serializers.SerializerMethodField()

    class Meta(SheetListSerializer.Meta):
        fields = SheetListSerializer.Meta.fields + [
            "fiscal_funds", "other_funds", "purpose", "goal", "plan", "indicators", "findings", "history",
            "revises", "reason", "adjusted_budget", "adjustment", "versions",
        ]

    @extend_schema_field(OpenAdjustmentSerializer(allow_null=True))
    def get_adjustment(self, sheet) -> dict | None:
        if sheet.revises_id is not None or not sheet.is_published:
            return None
        adjustment = revisions.open_adjustment(sheet)
        return OpenAdjustmentSerializer(adjustment).data if adjustment is not None else None

    @extend_schema_field(VersionSerializer(many=True))
    def get_versions(self, sheet) -> list[dict]:
        return VersionSerializer(revisions.versions_of(sheet) if sheet.revises_id is None else [], many=True).data

    def get_findings(self, sheet) -> list[dict]:
        return [f.as_dict() for f in sheet.findings()]

    def get_history(self, sheet) -> list[dict]:
        # the snapshot (a copy of the whole sheet at each submit) is not shown: not read either
        events = sheet.events.select_related("actor", "target_user", "on_behalf_of").defer("snapshot").order_by("created", "id")
        return [event_data(event) for event in events]


class EventDataSerializer(serializers.Serializer):
    """The shape of ``event_data`` (one entry of a sheet's 办理记录), for the API schema."""

    id = serializers.IntegerField()
    action = serializers.CharField()
    action_label = serializers.CharField()
    actor = serializers.CharField(allow_null=True, help_text="用户名；系统办理时为 null")
    actor_name = serializers.CharField()
    on_behalf_of = serializers.CharField(allow_null=True, help_text="委托：受托人代委托人办理时，委托人的用户名；否则为 null")
    actor_text = serializers.CharField(help_text="办理人，受托人代委托人办理时为“受托人 代 委托人”（如“刘洋 代 张建国”）")
    target_user = serializers.CharField(allow_null=True, help_text="转办对象的用户名")
    from_state = serializers.CharField()
    to_state = serializers.CharField()
    comment = serializers.CharField(allow_blank=True)
    created = serializers.DateTimeField()


class MoveResultSerializer(serializers.Serializer):
    """What a move answers by default (``Prefer: return=minimal``): what it changed, read from the move itself.
    ``Prefer: return=representation`` answers the whole sheet instead (``SheetDetailSerializer``)."""

    id = serializers.IntegerField()
    state = serializers.CharField(help_text="办理后的状态，取值同详情的 state")
    state_label = serializers.CharField()
    version = serializers.IntegerField()
    assignee = serializers.CharField(allow_null=True, help_text="转办后的办理人（用户名）；由该步骤的所有角色持有人办理时为 null")
    event = EventDataSerializer(help_text="这次办理在办理记录中的一条（与详情 history 的最后一条相同）")


def move_result(sheet: TargetSheet, event: Event) -> dict:
    """``MoveResultSerializer``'s shape from the moved sheet and its event, both in memory: no query."""
    return {
        "id": sheet.pk, "state": sheet.state, "state_label": sheet.get_state_display(), "version": sheet.version,
        "assignee": sheet.assignee.username if sheet.assignee_id else None, "event": event_data(event),
    }


class PlanInputSerializer(serializers.Serializer):
    date = serializers.DateField()
    percent = serializers.DecimalField(max_digits=5, decimal_places=2, min_value=Decimal(0), max_value=Decimal(100))


class SheetPatchSerializer(serializers.Serializer):
    budget_total = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=Decimal(0), required=False)
    fiscal_funds = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=Decimal(0), required=False)
    other_funds = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=Decimal(0), required=False)
    purpose = _text(validation.PURPOSE, allow_blank=True, required=False)
    goal = _text(validation.GOAL, allow_blank=True, required=False)
    plan = PlanInputSerializer(many=True, required=False, max_length=50)
    indicators = IndicatorSerializer(
        many=True, required=False, max_length=validation.MAX_INDICATOR_ROWS,
        error_messages={"max_length": f"绩效指标最多 {validation.MAX_INDICATOR_ROWS} 行。"},
    )


class ReassignSerializer(serializers.Serializer):
    user = serializers.CharField(error_messages={"required": "请指定转办对象的用户名。"})
    comment = serializers.CharField(
        max_length=validation.COMMENT_MAX, error_messages={"required": "转办必须填写原因。", "blank": "转办必须填写原因。"}
    )
