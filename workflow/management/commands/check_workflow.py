"""List (and with --repair, repair) every sheet whose state, assignee, scope or history disagree."""

from django.core.management.base import BaseCommand

from workflow.integrity import divergences, divergences_repair


class Command(BaseCommand):
    help = "检查每张绩效目标表的审批状态、转办人、科室/单位与办理记录是否一致；--repair 修复并记入办理记录。"

    def add_arguments(self, parser):
        parser.add_argument("--repair", action="store_true", help="修复发现的问题（每张表记一条“系统校正”办理记录）")

    def handle(self, *args, repair=False, **options):
        found = divergences_repair() if repair else divergences()
        for item in found:
            self.stdout.write(str(item))
        if not found:
            self.stdout.write(self.style.SUCCESS("审批状态一致：没有发现问题。"))
        elif repair:
            self.stdout.write(self.style.SUCCESS(f"已修复 {len(found)} 处问题。"))
        else:
            self.stdout.write(self.style.WARNING(f"发现 {len(found)} 处问题；运行 check_workflow --repair 修复。"))
            raise SystemExit(1)
