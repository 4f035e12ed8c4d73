"""List (and with --repair, repair) every document on the approval engine whose state, assignee, scope or history disagree."""

from django.core.management.base import BaseCommand

from workflow.integrity import divergences_iter, divergences_repair_batches


class Command(BaseCommand):
    requires_system_checks = []  # it is the check: the deploy check workflow.W001 would run it twice
    help = "检查每份审批文件（绩效目标表、目标调整、绩效自评表等）的审批状态、转办人、科室/单位与办理记录是否一致；--repair 修复并记入办理记录。"

    def add_arguments(self, parser):
        parser.add_argument("--repair", action="store_true", help="修复发现的问题（每份文件记一条“系统校正”办理记录）")

    def handle(self, *args, repair=False, **options):
        # streamed: a chunk of documents at a time, and with --repair each batch committed as it is printed
        batches = divergences_repair_batches() if repair else ([item] for item in divergences_iter())
        found = 0
        for batch in batches:
            for item in batch:
                self.stdout.write(str(item))
            found += len(batch)
        if not found:
            self.stdout.write(self.style.SUCCESS("审批状态一致：没有发现问题。"))
        elif repair:
            self.stdout.write(self.style.SUCCESS(f"已修复 {found} 处问题。"))
        else:
            self.stdout.write(self.style.WARNING(f"发现 {found} 处问题；运行 check_workflow --repair 修复。"))
            raise SystemExit(1)
