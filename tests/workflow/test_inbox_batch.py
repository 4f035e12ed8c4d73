"""待办 as an approval app: cards with what a reviewer decides on, a constant number of queries, the next item after a
decision, and opt-in 批量通过 — each approval a separate recorded move on the version the card showed."""

import re

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from projects.models import TargetSheet
from workdays.models import CalendarDay
from workflow.models import Action, Event
from tests.support import drive


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


def clean_sheets(people, count):
    """``count`` checker-clean sheets of 公共资源交易中心 waiting for the leader."""
    sheets = []
    for sheet in TargetSheet.objects.filter(fiscal_year__year=2024, section__name="公共资源交易中心").order_by("position"):
        if not any(f.is_error for f in sheet.findings()):
            sheets.append(drive(sheet, ("submit", people.staff_ggzy), ("approve", people.head_ggzy)))
        if len(sheets) == count:
            return sheets
    raise AssertionError("not enough clean sheets in the demo")


def batch(client, sheets, versions=None):
    data = {"sheet": [str(s.pk) for s in sheets]}
    for sheet in sheets:
        data[f"version-{sheet.pk}"] = str((versions or {}).get(sheet.pk, sheet.version))
    return client.post("/tasks/batch-approve/", data, follow=True)


def test_cards_show_amount_section_submitter_step_and_working_days(people):
    [sheet] = clean_sheets(people, 1)
    page = client_for(people.leader).get("/tasks/").content.decode()
    card = page[page.index(f'data-sheet="{sheet.pk}"'):]
    card = card[: card.index("</li>")]
    assert f"<strong>{sheet.budget_total}</strong> 万元" in card
    assert "公共资源交易中心" in card and "王芳" in card and "局领导审批" in card
    assert "0 个工作日" in card and "late" not in card
    assert 'data-testid="batch-pick"' in card  # clean: may be ticked


def test_a_card_waiting_past_the_nudge_threshold_is_red(people, settings):
    [sheet] = clean_sheets(people, 1)
    TargetSheet.objects.filter(pk=sheet.pk).update(state_since="2024-04-01T09:00:00+08:00")  # Monday
    CalendarDay.objects.all().delete()
    page = client_for(people.leader).get("/tasks/").content.decode()
    assert re.search(r'class="waited late"[^>]*>\d+ 个工作日（已超催办期限）', page)


def test_inbox_queries_do_not_grow_with_the_cards(people):
    client = client_for(people.leader)
    clean_sheets(people, 1)
    client.get("/tasks/")  # warm caches (content types, holiday table)
    with CaptureQueriesContext(connection) as one:
        assert client.get("/tasks/").status_code == 200
    TargetSheet.objects.filter(state="leader_review").update(state="draft")
    clean_sheets(people, 3)
    with CaptureQueriesContext(connection) as three:
        page = client.get("/tasks/").content.decode()
    assert page.count('data-testid="task"') == 3
    assert len(three) == len(one), [q["sql"][:120] for q in three.captured_queries]
    assert len(one) <= 16


def test_a_decision_goes_straight_to_the_next_item_then_to_an_empty_inbox(people):
    from projects.models import DepartmentGoals
    from workflow.services import document_submit

    first, second = clean_sheets(people, 2)
    for goals in DepartmentGoals.objects.filter(agency=first.agency):  # the leader's draft goals: submitted, not a to-do
        document_submit(document=goals, user=people.leader)
    client = client_for(people.leader)
    response = client.post(f"/sheets/{first.pk}/approve/", {"version": first.version}, follow=True)
    assert response.redirect_chain[-1][0] == f"/sheets/{second.pk}/"
    assert "已通过，转下一步审核。下一张待办如下。" in response.content.decode()
    second.refresh_from_db()
    response = client.post(f"/sheets/{second.pk}/return/", {"version": second.version, "comment": "请补充依据"}, follow=True)
    assert response.redirect_chain[-1][0] == "/tasks/"
    page = response.content.decode()
    assert "已退回修改。待办已全部处理完毕。" in page and 'data-testid="inbox-empty"' in page


def test_batch_approve_records_one_move_per_sheet_and_refuses_stale_ones_by_name(people):
    sheets = clean_sheets(people, 3)
    stale = sheets[1]
    shown = {s.pk: s.version for s in sheets}
    # someone else handles the second sheet after the page was shown: return and resubmit, approve by the head again
    drive(stale, ("return", people.leader2, "请修改"), ("submit", people.staff_ggzy), ("approve", people.head_ggzy))
    before = Event.objects.count()

    response = batch(client_for(people.leader), sheets, versions=shown)

    page = response.content.decode()
    assert "已批量通过 2 张绩效目标表" in page
    assert f"“{stale.display_title}”未通过：这张表已由" in page and "请刷新页面后再操作" in page
    states = dict(TargetSheet.objects.filter(pk__in=shown).values_list("pk", "state"))
    assert states == {sheets[0].pk: "finance_review", stale.pk: "leader_review", sheets[2].pk: "finance_review"}
    new = Event.objects.filter(pk__gt=0).order_by("id")[before:]
    assert [(e.sheet_id, e.action, e.actor_id) for e in new] == [
        (sheets[0].pk, Action.APPROVE, people.leader.pk), (sheets[2].pk, Action.APPROVE, people.leader.pk),
    ]


def test_batch_never_approves_a_sheet_with_checker_errors(people):
    [sheet] = clean_sheets(people, 1)
    indicator = sheet.indicators.order_by("order").first()
    indicator.target_value = ""
    indicator.save()
    page = client_for(people.leader).get("/tasks/").content.decode()
    assert 'data-testid="batch-pick"' not in page  # no checkbox on a card with errors
    response = batch(client_for(people.leader), [sheet])
    assert "体检发现错误，不能批量通过" in response.content.decode()
    sheet.refresh_from_db()
    assert sheet.state == "leader_review"


def test_batch_is_refused_for_other_section_other_agency_and_anonymous(people, foreign_sheet):
    [sheet] = clean_sheets(people, 1)
    drive(foreign_sheet, ("submit", people.other_staff), ("approve", people.other_head))
    for user in (people.head_xy, people.other_leader, people.staff_ggzy):
        response = batch(client_for(user), [sheet])
        assert "未通过" in response.content.decode(), user
    response = batch(client_for(people.leader), [foreign_sheet])
    assert "没有找到这张绩效目标表，或您无权查看" in response.content.decode()
    anonymous = Client().post("/tasks/batch-approve/", {"sheet": [sheet.pk], f"version-{sheet.pk}": sheet.version})
    assert anonymous.status_code == 302 and "/login/" in anonymous["Location"]
    for s in (sheet, foreign_sheet):
        s.refresh_from_db()
        assert s.state == "leader_review"
    assert not Event.objects.filter(action=Action.APPROVE, actor__in=[people.head_xy, people.other_leader, people.staff_ggzy]).exists()


def test_get_on_the_batch_url_changes_nothing(people):
    [sheet] = clean_sheets(people, 1)
    response = client_for(people.leader).get("/tasks/batch-approve/", {"sheet": sheet.pk, f"version-{sheet.pk}": sheet.version})
    assert response.status_code == 405
    sheet.refresh_from_db()
    assert sheet.state == "leader_review"


def test_batch_without_a_version_or_a_choice_is_refused_in_chinese(people):
    [sheet] = clean_sheets(people, 1)
    client = client_for(people.leader)
    assert "请先勾选要批量通过的绩效目标表。" in client.post("/tasks/batch-approve/", {}, follow=True).content.decode()
    page = client.post("/tasks/batch-approve/", {"sheet": sheet.pk}, follow=True).content.decode()
    assert "缺少页面显示时的版本号" in page
    sheet.refresh_from_db()
    assert sheet.state == "leader_review"


def test_a_long_queue_shows_the_oldest_page_of_cards_and_says_there_are_more(people, monkeypatch):
    monkeypatch.setattr("workflow.queues.TASKS_SHOWN", 2)
    oldest, middle, newest = clean_sheets(people, 3)
    for hours, sheet in ((9, oldest), (10, middle), (11, newest)):
        TargetSheet.objects.filter(pk=sheet.pk).update(state_since=f"2024-04-01T{hours:02d}:00:00+08:00")
    page = client_for(people.leader).get("/tasks/").content.decode()
    assert f'data-sheet="{oldest.pk}"' in page and f'data-sheet="{middle.pk}"' in page
    assert f'data-sheet="{newest.pk}"' not in page
    assert "待我审核（2+）" in page and "这里列出等待最久的 2 张" in page


def waiting_for_finance(people, count):
    """``count`` checker-clean sheets at the last step (财政审核): approving them publishes them."""
    return [drive(sheet, ("approve", people.leader)) for sheet in clean_sheets(people, count)]


def test_finance_batch_says_publish_with_count_and_total_before_and_after(people):
    sheets = waiting_for_finance(people, 3)
    total = sum(s.budget_total for s in sheets)
    client = client_for(people.finance)

    inbox = client.get("/tasks/").content.decode()
    assert re.search(r'data-testid="batch-approve">批量通过并公开<', inbox)
    assert inbox.count("data-publishes") == 3
    assert f'data-amount="{sheets[0].budget_total}"' in inbox
    assert "data-confirm" not in inbox[inbox.index('id="batch-form"'):inbox.index('id="batch-form"') + 400]

    # the batch as the page sends it, without JavaScript: a confirmation page first, nothing published yet
    confirm = batch(client, sheets)
    page = confirm.content.decode()
    assert confirm.redirect_chain == []
    assert f"通过并公开 3 张表，预算合计 {total} 万元" in page
    assert f"确认通过并公开（3 张，预算合计 {total} 万元）" in page
    assert "将立即在" in page and "公开页面" in page
    for sheet in sheets:
        assert sheet.display_title in page
    assert set(TargetSheet.objects.filter(pk__in=[s.pk for s in sheets]).values_list("state", flat=True)) == {"finance_review"}
    assert not Event.objects.filter(action=Action.PUBLISH).exists()

    # 确认: each sheet published, and the result says so with the count and the total
    data = {"sheet": [str(s.pk) for s in sheets], "confirm": "1", **{f"version-{s.pk}": str(s.version) for s in sheets}}
    response = client.post("/tasks/batch-approve/", data, follow=True)
    page = response.content.decode()
    assert f"已通过并公开 3 张绩效目标表，预算合计 {total} 万元" in page
    assert "已批量通过" not in page
    assert set(TargetSheet.objects.filter(pk__in=[s.pk for s in sheets]).values_list("state", flat=True)) == {"published"}
    assert Event.objects.filter(action=Action.PUBLISH, actor=people.finance).count() == 3


def test_finance_batch_confirmation_leaves_out_a_sheet_changed_since_from_count_and_total(people):
    first, changed = waiting_for_finance(people, 2)
    shown = {first.pk: first.version, changed.pk: changed.version}
    TargetSheet.objects.filter(pk=changed.pk).update(version=changed.version + 1)  # changed after 待办 showed it
    page = batch(client_for(people.finance), [first, changed], versions=shown).content.decode()
    assert f"通过并公开 1 张表，预算合计 {first.budget_total} 万元" in page
    assert "页面显示后已有变化，不会通过" in page
    assert set(TargetSheet.objects.filter(pk__in=shown).values_list("state", flat=True)) == {"finance_review"}


def test_earlier_steps_batch_says_only_approve_and_needs_no_confirmation_page(people):
    clean_sheets(people, 2)
    inbox = client_for(people.leader).get("/tasks/").content.decode()
    assert re.search(r'data-testid="batch-approve"[^>]*>批量通过<', inbox)
    assert "并公开" not in inbox and "data-publishes" not in inbox


def test_finance_cards_name_the_agency_of_each_sheet(people):
    """A finance reviewer's 待办 holds several agencies' sheets: each card says whose (单位) beside the 科室."""
    [sheet] = clean_sheets(people, 1)
    drive(sheet, ("approve", people.leader))
    page = client_for(people.finance).get("/tasks/").content.decode()
    card = page[page.index(f'data-sheet="{sheet.pk}"'):]
    card = card[: card.index("</li>")]
    assert '<dt>单位</dt><dd data-testid="task-agency">乐亭县行政审批局本级</dd>' in card
