"""The audit of who gave or took away which role, and who was added or deactivated."""

from django.conf import settings
from django.db import models


class RoleChange(models.Model):
    class Kind(models.TextChoices):
        GRANT = "grant", "授予角色"
        REVOKE = "revoke", "撤销角色"
        CREATE = "create", "新增人员"
        DEACTIVATE = "deactivate", "停用账号"
        ACTIVATE = "activate", "启用账号"
        DELEGATE = "delegate", "设置委托"
        UNDELEGATE = "undelegate", "取消委托"

    kind = models.CharField("变更", max_length=20, choices=Kind.choices)
    person = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="人员", on_delete=models.PROTECT, related_name="role_changes")
    role = models.CharField("角色", max_length=30, blank=True)
    agency = models.ForeignKey("projects.Agency", verbose_name="单位", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    section = models.ForeignKey("projects.Section", verbose_name="科室", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="操作人", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    note = models.CharField("说明", max_length=500, blank=True)
    created = models.DateTimeField("时间", auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = verbose_name_plural = "人员与角色变更记录"
        ordering = ["-created", "-id"]
        indexes = [models.Index(fields=["agency", "created"], name="rolechange_agency_created")]

    def __str__(self):
        return f"{self.get_kind_display()} {self.person} {self.role_label}"

    @property
    def role_label(self) -> str:
        from people.roles import ROLE_LABELS

        return ROLE_LABELS.get(self.role, "")

    @property
    def scope_label(self) -> str:
        if self.section_id:
            return f"{self.section.agency.name} · {self.section.name}"
        return self.agency.name if self.agency_id else ""


class DelegationQuerySet(models.QuerySet):
    def active_at(self, moment):
        """Delegations in force at ``moment`` (not cancelled, ``start`` ≤ moment < ``end``, the principal's account
        active)."""
        return self.filter(start__lte=moment, end__gt=moment, cancelled__isnull=True, principal__is_active=True)

    def overlapping(self, start, end):
        """Delegations not cancelled whose period meets [start, end)."""
        return self.filter(start__lt=end, end__gt=start, cancelled__isnull=True)


class Delegation(models.Model):
    """委托: for a period, ``delegate`` holds the approval roles (``people.roles.DELEGATED_ROLES``) the ``principal``
    holds, where the principal holds them (read at the moment of each check: no grant row is written, nothing
    outlives the period). Moves made through it are recorded as "受托人 代 委托人". Set by the principal or their
    agency's 单位管理员 (``people.delegations``)."""

    principal = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="委托人", on_delete=models.PROTECT, related_name="delegations_given"
    )
    delegate = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="受托人", on_delete=models.PROTECT, related_name="delegations_held"
    )
    start = models.DateTimeField("开始时间")
    end = models.DateTimeField("结束时间")
    reason = models.CharField("委托原因", max_length=200)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="设置人", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created = models.DateTimeField("设置时间", auto_now_add=True)
    cancelled = models.DateTimeField("取消时间", null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="取消人", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = DelegationQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "委托"
        ordering = ["-start", "-id"]
        indexes = [
            models.Index(fields=["delegate", "start", "end"], name="delegation_delegate_period"),
            models.Index(fields=["principal", "start", "end"], name="delegation_principal_period"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(end__gt=models.F("start")), name="delegation_end_after_start"),
            models.CheckConstraint(condition=~models.Q(delegate=models.F("principal")), name="delegation_not_self"),
        ]

    def __str__(self):
        from people.roles import display_name

        return f"{display_name(self.delegate)} 代 {display_name(self.principal)}"
