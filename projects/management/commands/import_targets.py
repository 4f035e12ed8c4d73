from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from projects.docx.data import DocxReadError
from projects.docx.reader import read_document
from projects.services import ImportRefused, document_import


class Command(BaseCommand):
    help = "从 Word（.docx）部门绩效目标文件导入预算单位、项目与绩效目标表（草稿）。"

    def add_arguments(self, parser):
        parser.add_argument("file", help=".docx 文件路径")
        parser.add_argument("--year", type=int, required=True, choices=range(2000, 2101), metavar="YEAR", help="预算年度（2000–2100），例如 2024")

    def handle(self, *args, file, year, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"找不到文件“{file}”。")
        try:
            data = read_document(path, filename=path.name)
            result = document_import(data=data, year=year)
        except (DocxReadError, ImportRefused) as error:
            raise CommandError(f"导入失败，未做任何修改。{error}") from None
        for sheet in result.created:
            self.stdout.write(f"新建  {sheet.project.code}  {sheet.display_title}")
        for sheet in result.updated:
            self.stdout.write(f"更新  {sheet.project.code}  {sheet.display_title}")
        for sheet, reason in result.refused:
            self.stdout.write(self.style.WARNING(f"拒绝  {sheet.project.code}  {reason}"))
        self.stdout.write(self.style.SUCCESS(result.summary()))
