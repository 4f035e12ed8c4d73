from django.core.management.base import BaseCommand, CommandError

from projects.models import Agency, SheetState


class Command(BaseCommand):
    help = "按官方表格版式导出预算单位某年度的绩效目标（部门整体绩效目标 + 各项目绩效目标表）。"
    # a data command: the system checks (URLconf, every view) are `manage.py check`'s and the deploy's, not each run's
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--agency", required=True, help="单位编码，例如 483001")
        parser.add_argument("--year", type=int, required=True)
        parser.add_argument("--output", required=True, help="输出 .docx 路径")
        parser.add_argument("--published-only", action="store_true", help="只导出已公开的绩效目标表")

    def handle(self, *args, agency, year, output, published_only, **options):
        record = Agency.objects.filter(code=agency).first()
        if record is None:
            raise CommandError(f"没有编码为 {agency} 的预算单位。")
        try:
            from projects.exporting import export_package  # the Word writer: once the input is known good

            states = [SheetState.PUBLISHED] if published_only else None
            data = export_package(agency=record, year=year, target=output, states=states)
        except OSError as error:
            raise CommandError(f"无法写入“{output}”：{error.strerror or error}") from None
        self.stdout.write(self.style.SUCCESS(f"已导出 {len(data.sheets)} 张绩效目标表到 {output}"))
