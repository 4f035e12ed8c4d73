"""Demo data: the seed document for 2024, sections, and one user for every role (password "demo")."""

from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from projects.docx.reader import read_document
from projects.models import Agency, Project, Section, TargetSheet
from projects.services import document_import
from workflow import roles

SEED_DOCX = Path(settings.BASE_DIR) / "projects" / "fixtures" / "laoting-approval-bureau-targets.docx"
YEAR = 2024
AGENCY_CODE = "483001"

# section name → (project code suffixes, staff username, head username)
SECTIONS = {
    "公共资源交易中心": (("041X", "042H", "037P", "0364"), "staff_ggzy", "head_ggzy"),
    "信用与放管服办公室": (("040A",), "staff_xy", "head_xy"),
    "政务服务中心": (("038B", "035G", "034W", "039Y"), "staff_zwfw", "head_zwfw"),
}
DEMO_PASSWORD = "demo"
ACCOUNTS = (
    ("staff_ggzy", "公共资源交易中心 经办人"),
    ("head_ggzy", "公共资源交易中心 科室负责人"),
    ("staff_xy", "信用与放管服办公室 经办人"),
    ("head_xy", "信用与放管服办公室 科室负责人"),
    ("staff_zwfw", "政务服务中心 经办人"),
    ("head_zwfw", "政务服务中心 科室负责人"),
    ("leader", "局领导（483001 乐亭县行政审批局本级）"),
    ("finance", "财政局审核人（负责 483001）"),
    ("admin", "系统管理员（后台 /admin/）"),
)


class Command(BaseCommand):
    help = "载入演示数据：2024 年乐亭县行政审批局绩效目标、科室与各角色演示账号（密码 demo）。可重复执行。"

    @transaction.atomic
    def handle(self, *args, **options):
        first_time = not Agency.objects.filter(code=AGENCY_CODE, projects__isnull=False).exists()
        if first_time:
            result = document_import(data=read_document(SEED_DOCX), year=YEAR)
            self.stdout.write(result.summary())
        agency = Agency.objects.get(code=AGENCY_CODE)
        for name, (suffixes, staff, head) in SECTIONS.items():
            section, _ = Section.objects.get_or_create(agency=agency, name=name)
            for suffix in suffixes:
                Project.objects.filter(agency=agency, code__endswith=suffix).update(section=section)
                TargetSheet.objects.filter(agency=agency, project__code__endswith=suffix).update(section=section)
            roles.role_grant(user=self._user(staff, "经办人"), role=roles.STAFF, scope=section)
            roles.role_grant(user=self._user(head, "科室负责人"), role=roles.SECTION_HEAD, scope=section)
        roles.role_grant(user=self._user("leader", "局领导"), role=roles.LEADER, scope=agency)
        roles.role_grant(user=self._user("finance", "财政局审核人"), role=roles.FINANCE_REVIEWER, scope=agency)
        admin = self._user("admin", "系统管理员", is_staff=True, is_superuser=True)
        roles.role_grant(user=admin, role=roles.ADMIN)
        self.stdout.write(self.style.SUCCESS("演示数据已就绪。演示账号（密码均为 demo）："))
        for username, label in ACCOUNTS:
            self.stdout.write(f"  {username:<12} {label}")

    def _user(self, username: str, label: str, **flags):
        user, created = get_user_model().objects.get_or_create(
            username=username, defaults={"first_name": label, "email": f"{username}@example.gov.cn", **flags}
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
        return user
