"""待办's cards (``{% load task_cards %}{% task_card_items cards show_agency nudge_after %}``), written in Python: at 50
cards a page the template language's lookups, filters and ``{% url %}`` cost half of 待办's time (the 待办 benchmark
row). Every text is escaped (``core.html``, as ``format_html`` escapes); the markup is the card's in
``templates/workflow/inbox.html`` before this tag, and a document type shows on its card what the template showed of
it: what it lacks is left out."""

from __future__ import annotations

from django import template
from django.utils import timezone
from django.utils.safestring import mark_safe

from core.html import html_format, html_join, number_writer

register = template.Library()

CARD = (
    '<li class="card task-card{}" data-testid="task" data-sheet="{}"><div class="task-top">{}'
    '<a href="{}" class="task-title"><strong>{}</strong></a></div>{}<dl class="task-facts">{}{}'
    '<div><dt>提交人</dt><dd data-testid="task-submitter">{}</dd></div>'
    '<div><dt>环节</dt><dd><span class="state state-{}">{}</span>{}</dd></div>{}'
    '<div><dt>等待</dt><dd class="waited{}" data-testid="task-waited" title="超过 {} 个工作日将催办">{} 个工作日{}</dd></div>'
    '<div><dt>体检</dt><dd>{}</dd></div></dl></li>'
)
PICK = (
    '<input type="checkbox" name="sheet" value="{}" class="batch-pick" data-testid="batch-pick" data-amount="{}"{} '
    'aria-label="勾选批量通过：{}"><input type="hidden" name="version-{}" value="{}">'
)


def _shown(value, number) -> str:
    """``{{ value }}``: a number localized (``number``: ``core.html.number_writer``), None as "None", a missing
    attribute (``""``) as nothing."""
    return number(value) if value is not None else "None"


def _picker(card, document, number) -> str:
    if not card.batchable:
        return ""
    return html_format(
        PICK, document.pk, _shown(getattr(document, "budget_total", ""), number),
        mark_safe(" data-publishes") if card.publishes else "", document.display_title, document.pk,
        _shown(document.version, number),
    )


def _funds(card, document, number) -> str:
    if not card.shows_funds:
        return ""
    other = html_format("，其他 {}", _shown(document.other_funds, number)) if document.other_funds else ""
    return html_format(
        '<div class="task-amount" data-testid="task-amount"><strong>{}</strong> 万元<span class="muted">（财政 {}{}）</span></div>',
        _shown(document.budget_total, number), _shown(document.fiscal_funds, number), other,
    )


def _section(document) -> str:
    section = document.section
    if not section and not getattr(document, "project", None):
        return ""
    name = section.name if section is not None and section.name else "未分配科室"
    return html_format('<div><dt>科室</dt><dd data-testid="task-section">{}</dd></div>', name)


def _holding(document) -> str:
    holding = getattr(document, "holding", None)
    if not holding:
        return ""
    # ``{{ since|date:"m-d H:i" }}`` in the current time zone
    since = html_format(' <span class="muted">自 {}</span>', timezone.localtime(holding.since).strftime("%m-%d %H:%M")) if holding.since else ""
    return html_format('<div><dt>办理人</dt><dd data-testid="task-holders">{}{}</dd></div>', holding.text, since)


def _finding(card) -> str:
    if card.error_count:
        return html_format('<span class="finding error">{} 个错误</span>', card.error_count)
    if card.warning_count:
        return html_format('<span class="finding warning">{} 个提示</span>', card.warning_count)
    return mark_safe('<span class="ok">无误</span>')


@register.simple_tag
def task_card_items(cards, show_agency, nudge_after):
    number = number_writer()

    def fields(card):
        document = card.document
        agency = (
            html_format('<div><dt>单位</dt><dd data-testid="task-agency">{}</dd></div>', document.agency.name)
            if show_agency else ""
        )
        return (
            " overdue" if card.overdue else "", document.pk, _picker(card, document, number), document.get_absolute_url(),
            document.display_title, _funds(card, document, number), agency, _section(document),
            card.submitter_name or "—",
            document.state, card.step_label, mark_safe(' <span class="muted">已转办给我</span>') if document.assignee_id else "",
            _holding(document), " late" if card.overdue else "", _shown(nudge_after, number), _shown(card.waited, number),
            "（已超催办期限）" if card.overdue else "", _finding(card),
        )

    return html_join(CARD, (fields(card) for card in cards))
