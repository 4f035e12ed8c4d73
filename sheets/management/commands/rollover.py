from django.core.management.base import BaseCommand, CommandError

from core.errors import AppError
from projects.models import Agency, Section
from sheets.rollover import sheets_rollover


class Command(BaseCommand):
    help = "由上年结转：把某单位来源年度已公开的绩效目标表复制为目标年度的草稿（预算数待填写，指标与依据沿用）。"
    # a data command: the system checks (URLconf, every view) are `manage.py check`'s and the deploy's, not each run's
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--agency", required=True, help="单位编码，如 483001")
        parser.add_argument("--from", dest="from_year", type=int, required=True, help="来源年度，如 2024")
        parser.add_argument("--to", dest="to_year", type=int, required=True, help="目标年度，如 2025")
        parser.add_argument("--section", help="只结转该科室（科室名称）")
        parser.add_argument("--dry-run", action="store_true", help="只列出将要结转与不能结转的表，不写入")

    def handle(self, *args, agency, from_year, to_year, section=None, dry_run=False, **options):
        found = Agency.objects.filter(code=agency).first()
        if found is None:
            raise CommandError(f"没有编码为 {agency} 的单位。")
        scope = None
        if section:
            scope = Section.objects.filter(agency=found, name=section).first()
            if scope is None:
                raise CommandError(f"“{found.unit_line}”没有名为“{section}”的科室。")
        try:
            result = sheets_rollover(agency=found, from_year=from_year, to_year=to_year, section=scope, dry_run=dry_run)
        except AppError as error:
            raise CommandError(error.message) from error
        for sheet in result.created:
            self.stdout.write(f"{'将新建' if dry_run else '新建'}草稿：{sheet.display_title}（{sheet.project.code}）")
        self.stdout.write(result.summary())
