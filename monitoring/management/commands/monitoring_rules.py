from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from core.errors import AppError

from monitoring import selectors, services
from monitoring.models import RulePack


class Command(BaseCommand):
    help = "监控规则包：列出规则包和年度所用的规则包；--year 2024 --use sichuan 为年度切换规则包（并按规则包调整资金支出时间节点）。"

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, help="预算年度")
        parser.add_argument("--use", metavar="CODE", help="规则包代码，如 default、sichuan、shanxi、hebei")
        parser.add_argument("--by", metavar="USERNAME", help="记录为选定人的账号")

    def handle(self, *args, year=None, use=None, by=None, **options):
        if use and not year:
            raise CommandError("请用 --year 指定要切换规则包的年度。")
        user = None
        if by:
            user = get_user_model().objects.filter(username=by).first()
            if user is None:
                raise CommandError(f"没有账号“{by}”。")
        try:
            if use:
                choice = services.year_pack_use(year=year, code=use, user=user)
                points = "、".join(p.label for p in choice.pack.points_in(year))
                moved = "，资金支出时间节点已改为" if choice.checkpoints_changed else "，资金支出时间节点不变："
                self.stdout.write(f"{year}年改用监控规则包“{choice.pack.name}”（{choice.pack.code}）{moved}{points}。")
                return
            if year:
                pack = selectors.pack_for_year(year)
                chosen = selectors.year_choice(year)
                how = f"{chosen.chosen_at:%Y-%m-%d %H:%M} 选定" if chosen else "未指定，使用默认规则包"
                self.stdout.write(f"{year}年：{pack.name}（{pack.code}），{how}。")
                return
        except AppError as problem:
            raise CommandError(problem.message) from None
        for pack in RulePack.objects.all():
            mark = "（默认）" if pack.is_default else ""
            self.stdout.write(f"{pack.code}\t{pack.name}{mark}\t{pack.get_confidence_display()}")
