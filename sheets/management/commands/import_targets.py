from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from django.core.management.base import BaseCommand, CommandError

from core.errors import AppError

if TYPE_CHECKING:
    from sheets import word_import


class Command(BaseCommand):
    help = (
        "从 Word（.docx）部门绩效目标文件导入预算单位、项目与绩效目标表（草稿）。"
        "被更新的表，导入前的内容记入办理记录（可恢复）；--dry-run 只显示导入预览，不做任何修改。"
    )
    # a data command: the system checks (URLconf, every view) are `manage.py check`'s and the deploy's, not each run's
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("file", help=".docx 文件路径")
        parser.add_argument("--year", type=int, required=True, choices=range(2000, 2101), metavar="YEAR", help="预算年度（2000–2100），例如 2024")
        parser.add_argument("--dry-run", action="store_true", help="只显示导入预览（每张表新建/更新/拒绝及修改处数），不做任何修改")

    def handle(self, *args, file, year, dry_run=False, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"找不到文件“{file}”。")
        from projects.docx.reader import read_document  # the Word reader: once there is a file to read
        from sheets import word_import

        try:
            if dry_run:
                self._preview(word_import.import_preview(content=path.read_bytes(), file_name=path.name, year=year))
                return
            result = word_import.import_document(data=read_document(path, filename=path.name), year=year, file_name=path.name)
        except AppError as error:
            raise CommandError(f"导入失败，未做任何修改。{error}") from None
        except OSError as error:
            raise CommandError(f"无法读取文件“{path.name}”：{error.strerror or error}") from None
        for sheet in result.created:
            self.stdout.write(f"新建  {sheet.project.code}  {sheet.display_title}")
        for sheet in result.updated:
            self.stdout.write(f"更新  {sheet.project.code}  {sheet.display_title}")
        for sheet in result.unchanged:
            self.stdout.write(f"相同  {sheet.project.code}  {sheet.display_title}（内容相同，未改动）")
        for sheet, reason in result.refused:
            self.stdout.write(self.style.WARNING(f"拒绝  {sheet.project.code}  {reason}"))
        self.stdout.write(self.style.SUCCESS(result.summary()))

    def _preview(self, preview: word_import.ImportPreview) -> None:
        self.stdout.write(f"导入预览（未做任何修改）：{preview.file_name}")
        for sheet in preview.sheets:
            if sheet.kind == "created":
                self.stdout.write(f"新建  {sheet.code}  {sheet.title}")
            elif sheet.kind == "updated":
                changes = f"{sheet.change_count} 处修改" if sheet.change_count else "内容没有变化"
                self.stdout.write(f"更新  {sheet.code}  {sheet.title}（{changes}）")
            elif sheet.kind == "unchanged":
                self.stdout.write(f"相同  {sheet.code}  {sheet.title}（内容相同，不会改动）")
            else:
                self.stdout.write(self.style.WARNING(f"拒绝  {sheet.code}  {sheet.reason}"))
        self.stdout.write(preview.goals.label)
        self.stdout.write(self.style.SUCCESS(preview.summary() + "（预览，未做任何修改；去掉 --dry-run 才会导入）"))
