"""The bodies of the engine's moves over the REST API, the same for every document: a comment; a return's comment and
where the resubmission goes (``resume``); a revoke's reason. Each document's API names them in its schema."""

from rest_framework import serializers

from projects import validation
from workflow.steps import CONSULT_BEFORE, CONSULT_CHOICES, RESUME_CHOICES


class CommentSerializer(serializers.Serializer):
    comment = serializers.CharField(allow_blank=True, required=False, default="", max_length=validation.COMMENT_MAX)


class ReturnSerializer(serializers.Serializer):
    comment = serializers.CharField(
        max_length=validation.COMMENT_MAX,
        error_messages={"required": "退回修改必须填写意见。", "blank": "退回修改必须填写意见。"},
    )
    resume = serializers.ChoiceField(
        choices=RESUME_CHOICES, required=False, allow_null=True, default=None,
        help_text="here：修改后直接回到本环节（前面环节的通过保留）；start：从头重新审核；不填：最后一个环节直接回到本环节，其他从头",
        error_messages={"invalid_choice": "退回方式只能是“here”（修改后直接回到本环节）或“start”（修改后从头重新审核）。"},
    )


class RevokeSerializer(serializers.Serializer):
    comment = serializers.CharField(
        allow_blank=True, required=False, default="", max_length=validation.COMMENT_MAX,
        help_text="撤回原因（撤回公开时必填）",
    )


class CcSerializer(serializers.Serializer):
    """抄送: whom (user names, people of the document's agency or its 财政审核人) and why."""

    users = serializers.ListField(
        child=serializers.CharField(max_length=150), min_length=1, max_length=20,
        help_text="抄送对象的用户名（本单位人员或本单位的财政审核人），最多 20 人",
        error_messages={"min_length": "请选择抄送对象。", "max_length": "一次最多抄送 20 人。", "required": "请选择抄送对象。"},
    )
    comment = serializers.CharField(allow_blank=True, required=False, default="", max_length=validation.COMMENT_MAX, help_text="说明")

    def validate_users(self, names):
        from django.contrib.auth import get_user_model

        names = list(dict.fromkeys(name.strip() for name in names))
        found = {user.username: user for user in get_user_model().objects.filter(username__in=names)}
        missing = [name for name in names if name not in found]
        if missing:
            raise serializers.ValidationError(f"没有找到用户：{'、'.join(missing)}。")
        return [found[name] for name in names]


class CcEventSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    target_user = serializers.CharField(help_text="抄送对象的用户名")
    actor_text = serializers.CharField(help_text="抄送人（受托人代办时为“受托人 代 委托人”）")
    created = serializers.DateTimeField()


class CcResultSerializer(serializers.Serializer):
    copied = serializers.ListField(child=serializers.CharField(), help_text="已抄送的用户名")
    events = CcEventSerializer(many=True, help_text="办理记录中的抄送条目，每人一条")


def cc_result(events) -> dict:
    moment = serializers.DateTimeField()
    return {
        "copied": [event.target_user.username for event in events],
        "events": [
            {"id": e.pk, "target_user": e.target_user.username, "actor_text": e.actor_text, "created": moment.to_representation(e.created)}
            for e in events
        ],
    }


class ConsultSerializer(serializers.Serializer):
    """加签: whom (a user name: someone who may see the document), before or after deciding, and what to look at."""

    user = serializers.CharField(max_length=150, help_text="加签人的用户名（须有权查看）", error_messages={"required": "请填写加签人。", "blank": "请填写加签人。"})
    when = serializers.ChoiceField(
        choices=CONSULT_CHOICES, required=False, default=CONSULT_BEFORE,
        help_text="before：前加签，征求其意见后由您决定；after：后加签，您通过后由其审批，同意后进入下一环节",
        error_messages={"invalid_choice": "加签方式只能是“before”（前加签）或“after”（后加签）。"},
    )
    comment = serializers.CharField(
        max_length=validation.COMMENT_MAX, help_text="加签说明", error_messages={"required": "加签必须填写说明（请对方看什么）。", "blank": "加签必须填写说明（请对方看什么）。"},
    )


class OpinionSerializer(serializers.Serializer):
    """The person asked (加签) answers."""

    agree = serializers.BooleanField(help_text="true：同意；false：不同意（后加签不同意时，撤回加签人之前的通过）")
    comment = serializers.CharField(
        max_length=validation.COMMENT_MAX, help_text="加签意见", error_messages={"required": "请填写加签意见。", "blank": "请填写加签意见。"},
    )
