"""The engine's own pages: 待办 (with 批量通过) and 已办, over workflow.selectors and workflow.services.

The pages of a document (its list, detail, editor, moves) live in its app (``sheets``)."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from core.pagination import keyset_page, page_size
from people import roles
from workflow import permissions, selectors, services
from workflow.documents import chain_of, document_types, documents_of
from workflow.models import Action


@login_required
def home(request):
    return redirect("inbox")


TASKS_SHOWN = 50  # a page of cards (each shows its stored checker verdict: batch 通过 only for clean sheets)
BADGE_COUNTED = selectors.BADGE_MAX + 1


@login_required
def inbox(request):
    # the oldest TASKS_SHOWN tasks: a province's finance reviewer may have 25,000 waiting (they are oldest first)
    search = selectors.search_text(request.GET.get("q"))
    people = selectors.people_matching(search) if search else []
    # read as many as the nav badge counts (its "99+"): the badge then needs no count of its own
    waiting = selectors.waiting_ids(request.user, limit=BADGE_COUNTED, search=search, people=people)
    cards = selectors.task_cards(request.user, limit=TASKS_SHOWN, waiting=waiting)
    tasks_more = len(waiting) > TASKS_SHOWN
    drafts = [
        draft for model in document_types()
        for draft in _drafts(request.user, model)
    ]
    if not search:
        request.inbox_count = len(waiting) + sum(min(BADGE_COUNTED, n) for n in Counter(type(d) for d in drafts).values())
    context = {
        "cards": cards, "tasks_more": tasks_more, "drafts": drafts, "total": len(cards) + len(drafts), "nav": "inbox",
        "search": search,
        "batchable": sum(card.batchable for card in cards), "nudge_after": settings.NUDGE_AFTER_WORKDAYS,
        "batch_publishes": any(card.batchable and card.publishes for card in cards),
        "last_steps": "、".join(dict.fromkeys(chain_of(model).steps[-1].label for model in document_types())),
        # 单位 on each card where the queue mixes agencies: finance reviews several, the others work in one
        "show_agency": roles.holds_any(request.user, roles.Role.FINANCE_REVIEWER)
        or len({card.document.agency_id for card in cards}) > 1,
    }
    return render(request, "workflow/inbox.html", context)


def _drafts(user, model):
    drafts = selectors.drafts_to_do(user, model)
    if drafts.query.is_empty():  # not this type's author: nothing to read, nor a query to build
        return []
    return drafts.select_related(*model.approval_related).order_by(*model.approval_drafts_order)


BATCH_MAX = 100


@login_required
@require_POST
def inbox_batch_approve(request):
    """批量通过 the ticked cards of 待办: each document on the version its card showed, each a separate recorded move.
    A card's checkbox is named by its document's history field ("sheet"), its version ``version-<id>``.

    A batch that would end a chain (the last step: 财政审核 publishes) is first shown on a confirmation page saying
    通过并公开 with the count and the total amount; only its ``confirm`` sends it."""
    batches = {}
    batched = [model for model in document_types() if getattr(model, "approval_batch", True)]
    for model in batched:
        ids = [pk for pk in (int_or_none(v) for v in request.POST.getlist(model.history_field)) if pk is not None][:BATCH_MAX]
        if ids:
            batches[model] = {pk: int_or_none(request.POST.get(f"version-{pk}")) for pk in dict.fromkeys(ids)}
    if not batches:
        messages.error(request, f"请先勾选要批量通过的{'、'.join(model.approval_label for model in batched)}。")
        return redirect("inbox")
    if "confirm" not in request.POST:
        for model, versions in batches.items():
            preview = selectors.batch_preview(request.user, model, versions)
            if any(row.publishes for row in preview.rows):
                return render(request, "workflow/batch_confirm.html", {"preview": preview, "versions": versions, "nav": "inbox"})
    for model, versions in batches.items():
        outcome = services.documents_approve_batch(model=model, user=request.user, versions=versions)
        published = [event.document for event in outcome.approved if event.action == Action.PUBLISH]
        passed = len(outcome.approved) - len(published)
        named = f"{model.approval_measure}{model.approval_label}"
        if passed:
            messages.success(request, f"已批量通过 {passed} {named}，每{model.approval_measure}均已记入办理记录。")
        if published:
            total = sum((document.budget_total for document in published), Decimal("0.00"))
            messages.success(
                request, f"已通过并公开 {len(published)} {named}，预算合计 {total} 万元，已在公开页面发布，每{model.approval_measure}均已记入办理记录。"
            )
        for title, reason in outcome.refused:
            messages.error(request, f"“{title}”未通过：{reason}")
    return redirect("inbox")


@login_required
def done_list(request):
    search = selectors.search_text(request.GET.get("q"))
    page = keyset_page(
        selectors.done_events(request.user, search=search), ("-created", "-id"),
        cursor=request.GET.get("cursor"), size=page_size(request.GET.get("size")), params={"q": search},
    )
    events = list(page.rows)
    visible = set()  # (history foreign key, id) of the documents the user may still open
    for model in document_types():
        field = model.history_field
        ids = {getattr(e, f"{field}_id") for e in events} - {None}
        if ids:
            pks = permissions.visible_documents(request.user, documents_of(model)).filter(pk__in=ids).values_list("pk", flat=True)
            visible.update((field, pk) for pk in pks)
    for event in events:
        event.openable = (event.document_field, event.document_id) in visible
    return render(request, "workflow/done.html", {"events": events, "page": page, "nav": "done", "search": search})


def int_or_none(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
