import sys

from django.core.management.base import BaseCommand, CommandError

from core.errors import AppError
from projects.models import Agency, Section
from sheets.rollover import sheets_rollover, sheets_rollover_many


class Command(BaseCommand):
    help = (
        "由上年结转：把单位来源年度已公开的绩效目标表复制为目标年度的草稿（预算数待填写，指标与依据沿用）。"
        "--agency 可写多次；--all-agencies 结转全部单位（每批若干单位一个事务，中断后重新运行即从中断处继续）。"
    )
    # a data command: the system checks (URLconf, every view) are `manage.py check`'s and the deploy's, not each run's
    requires_system_checks = []

    def add_arguments(self, parser):
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument("--agency", action="append", help="单位编码，如 483001（可写多次）")
        which.add_argument("--all-agencies", action="store_true", help="结转全部单位")
        parser.add_argument("--from", dest="from_year", type=int, required=True, help="来源年度，如 2024")
        parser.add_argument("--to", dest="to_year", type=int, required=True, help="目标年度，如 2025")
        parser.add_argument("--section", help="只结转该科室（科室名称；只用于一个单位）")
        parser.add_argument("--dry-run", action="store_true", help="只列出将要结转与不能结转的表，不写入")

    def handle(self, *args, agency=None, all_agencies=False, from_year, to_year, section=None, dry_run=False, **options):
        if all_agencies or len(agency) > 1:
            if section:
                raise CommandError("--section 只能与一个 --agency 一起使用。")
            return self._many(None if all_agencies else agency, from_year, to_year, dry_run)
        found = Agency.objects.filter(code=agency[0]).first()
        if found is None:
            raise CommandError(f"没有编码为 {agency[0]} 的单位。")
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

    def _many(self, codes, from_year, to_year, dry_run):
        def progress(done, total):
            if sys.stderr.isatty() or done == total:
                self.stderr.write(f"\r已处理 {done}/{total} 个单位", ending="\n" if done == total else "")

        try:
            result = sheets_rollover_many(agency_codes=codes, from_year=from_year, to_year=to_year, dry_run=dry_run, progress=progress)
        except AppError as error:
            raise CommandError(error.message) from error
        self.stdout.write(result.summary())
