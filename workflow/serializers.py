"""The bodies of the engine's moves over the REST API, the same for every document: a comment; a return's comment and
where the resubmission goes (``resume``); a revoke's reason. Each document's API names them in its schema."""

from rest_framework import serializers

from projects import validation
from workflow.steps import RESUME_CHOICES


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
