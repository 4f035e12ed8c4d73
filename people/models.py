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
