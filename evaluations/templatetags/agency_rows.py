"""单位自评总览's table body (``{% load agency_rows %}{% agency_rows rows %}``), written in Python: at 50 lines a page the
template language's lookups and filters cost more than the rest of the page (issue 22's benchmark row). Every text
is escaped as Django escapes it (``core.html``; ``format_html``'s checks for lazy text cost more than the escaping);
the markup is the table's in ``templates/evaluations/agency.html``."""

from __future__ import annotations

from django import template
from django.utils.safestring import mark_safe

from core.html import html_join, id_url

register = template.Library()

DASH = "—"
RED = mark_safe('<span class="flag flag-red" data-testid="flag-red" title="指标得分率高于执行率逾 5 个百分点">红色</span>')
YELLOW = mark_safe('<span class="flag flag-yellow" data-testid="flag-yellow" title="执行率低于 80%">黄色</span>')
ROW = (
    '<tr data-testid="agency-row" class="{}"><td data-label="项目"><a href="{}">{}</a><div class="muted code">{}</div></td>'
    '<td data-label="科室">{}</td><td data-label="状态">{}</td><td data-label="调整后预算数" class="num">{}</td>'
    '<td data-label="执行数" class="num">{}</td><td data-label="执行率" class="num">{}</td>'
    '<td data-label="指标得分" class="num">{}</td><td data-label="总分" class="num"><strong>{}</strong></td>'
    '<td data-label="等级">{}</td><td data-label="预警">{}</td></tr>'
)


def _shown(value) -> str:
    return DASH if value is None or value == "" else str(value)


@register.simple_tag
def agency_rows(rows):
    evaluation_url, sheet_url = id_url("evaluation_detail"), id_url("sheet_detail")

    def cells(r):
        flags = mark_safe((RED if r.red else "") + (YELLOW if r.yellow else ""))  # two constants
        return (
            "flag-row-red" if r.red else "flag-row-yellow" if r.yellow else "",
            evaluation_url(r.evaluation_id) if r.evaluation_id else sheet_url(r.sheet_id), r.title, r.project_code,
            r.section or DASH, r.state_label, _shown(r.adjusted_budget if r.adjusted_budget else r.budget), _shown(r.spent),
            DASH if r.rate is None else f"{r.rate}%", _shown(r.indicators_score), _shown(r.total), r.grade or DASH,
            flags if (r.red or r.yellow) else DASH,
        )

    return html_join(ROW, (cells(r) for r in rows))
