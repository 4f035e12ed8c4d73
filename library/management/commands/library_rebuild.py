from django.core.management.base import BaseCommand

from library import services


class Command(BaseCommand):
    help = "从系统内全部绩效目标表重建指标库的使用记录与次数（新指标建为个性指标条目；共性指标与维护结果保留）。"
    # a data command: the system checks (URLconf, every view) are `manage.py check`'s and the deploy's, not each run's
    requires_system_checks = []

    def handle(self, *args, **options):
        result = services.library_rebuild()
        self.stdout.write(f"指标库已重建：新增条目 {result['entries_created']} 条，使用记录 {result['usages']} 条。")
