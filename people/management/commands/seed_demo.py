"""Demo data: the seed document, sections, and people for every role (password "demo").

The seed document holds 乐亭县行政审批局's 2024 targets, whose text names no year. The demo files them under the
current year (``--year`` another): its checkpoints, reminders and dashboards are then this year's, as a person trying
the demo lives them. The test suite pins ``--year 2024``, the document's own year, so its dates never move."""

from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from people import services
from people.roles import Role
from projects.docx.reader import read_document
from projects.models import Agency, Project, Section
from projects.services import document_import, project_section_set

SEED_DOCX = Path(settings.BASE_DIR) / "projects" / "fixtures" / "laoting-approval-bureau-targets.docx"
AGENCY_CODE = "483001"
DEMO_PASSWORD = "demo"

# section name → project code suffixes
SECTIONS = {
    "公共资源交易中心": ("041X", "042H", "037P", "0364"),
    "信用与放管服办公室": ("040A",),
    "政务服务中心": ("038B", "035G", "034W", "039Y"),
}
# username → (family name, given name, role, section name or None for the agency, what the account is for)
PEOPLE = (
    ("staff_ggzy", "王", "芳", Role.STAFF, "公共资源交易中心", "公共资源交易中心 经办人"),
    ("head_ggzy", "李", "强", Role.SECTION_HEAD, "公共资源交易中心", "公共资源交易中心 科室负责人"),
    ("staff_xy", "赵", "敏", Role.STAFF, "信用与放管服办公室", "信用与放管服办公室 经办人"),
    ("head_xy", "孙", "磊", Role.SECTION_HEAD, "信用与放管服办公室", "信用与放管服办公室 科室负责人"),
    ("staff_zwfw", "周", "静", Role.STAFF, "政务服务中心", "政务服务中心 经办人"),
    ("head_zwfw", "吴", "刚", Role.SECTION_HEAD, "政务服务中心", "政务服务中心 科室负责人"),
    ("leader", "张", "建国", Role.LEADER, None, "局领导（483001 乐亭县行政审批局本级）"),
    ("leader2", "刘", "洋", Role.LEADER, None, "第二位局领导（转办用）"),
    ("finance", "陈", "明", Role.FINANCE_REVIEWER, None, "财政局审核人（负责 483001）"),
    ("finance2", "杨", "帆", Role.FINANCE_REVIEWER, None, "第二位财政局审核人（转办用）"),
    ("unit_admin", "郑", "丽", Role.AGENCY_ADMIN, None, "单位管理员（人员与角色 /people/）"),
)


class Command(BaseCommand):
    help = "载入演示数据：乐亭县行政审批局绩效目标（默认记为今年）、科室与各角色演示账号（密码 demo）。可重复执行。"

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, help="演示绩效目标表的预算年度（默认：今年）")

    @transaction.atomic
    def handle(self, *args, **options):
        first_time = not Agency.objects.filter(code=AGENCY_CODE, projects__isnull=False).exists()
        if first_time:
            year = options["year"] or timezone.localdate().year
            result = document_import(data=read_document(SEED_DOCX), year=year)
            self.stdout.write(result.summary())
        agency = Agency.objects.get(code=AGENCY_CODE)
        sections = {}
        for name, suffixes in SECTIONS.items():
            sections[name], _ = Section.objects.get_or_create(agency=agency, name=name)
            for suffix in suffixes:
                for project in Project.objects.filter(agency=agency, code__endswith=suffix).exclude(section=sections[name]):
                    project_section_set(project=project, section=sections[name])
        for username, family, given, role, section, _ in PEOPLE:
            user = self._user(username, family, given)
            services.role_grant(user=user, role=role, scope=sections[section] if section else agency, note="演示数据")
        self._user("admin", "系统管理员", "", is_staff=True, is_superuser=True)
        self.stdout.write(self.style.SUCCESS("演示数据已就绪。演示账号（密码均为 demo）："))
        for username, family, given, _, _, label in PEOPLE:
            self.stdout.write(f"  {username:<12} {family}{given}，{label}")
        self.stdout.write(f"  {'admin':<12} 系统管理员（后台 /admin/）")

    def _user(self, username: str, family: str, given: str, **flags):
        user, created = get_user_model().objects.get_or_create(
            username=username,
            defaults={"last_name": family, "first_name": given, "email": f"{username}@example.gov.cn", **flags},
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
        return user
