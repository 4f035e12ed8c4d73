"""部门整体绩效目标 on the approval engine (issue 22 item 3): the agency's 局领导 writes and submits them, finance returns
or approves them, and approval publishes them with the sheets (the public agency page, the 已公开 Word package).
Refused at every new door to the other agency, the agency's section staff and the anonymous user; an import never
changes goals under review or published; a stale save is refused."""

from __future__ import annotations

import io

import docx
import pytest
from django.test import Client

from projects.docx.data import DepartmentGoalsData, DocumentData
from projects.models import DepartmentGoals
from projects.services import document_import, goals_set
from tests.refusals import refused
from workflow.models import Event
from workflow.services import document_approve, document_submit

URL = "/goals/489001/2024/"


@pytest.fixture
def client_of(org):
    def make(user):
        client = Client()
        if user is not None:
            client.force_login(user)
        return client

    return make


def _form(version, overall="提升政务服务效能。", itemized="办件量不少于一万件。", safeguards="加强人员保障。"):
    return {"version": version, "overall": overall, "itemized": itemized, "safeguards": safeguards}


def test_leader_writes_finance_returns_then_publishes(client_of, org, make_sheet, publish):
    leader, finance = client_of(org.leader), client_of(org.finance)
    assert leader.post(URL, _form("")).status_code == 302
    goals = DepartmentGoals.objects.get(agency=org.agency)
    assert (goals.state, goals.version) == ("draft", 2)
    page = leader.get(URL).content.decode()
    assert 'data-testid="goals-submit"' in page and "草稿" in page
    assert leader.post(f"{URL}submit/", {"version": goals.version}).status_code == 302
    goals.refresh_from_db()
    assert goals.state == "finance_review"
    # under review: nobody edits it
    refused_save = leader.post(URL, _form(goals.version, overall="改了"), follow=True).content.decode()
    assert "处于“财政审核”状态，不能修改" in refused_save
    goals.refresh_from_db()
    assert goals.overall == "提升政务服务效能。"
    assert 'data-testid="goals-approve"' in finance.get(URL).content.decode()
    finance.post(f"{URL}return/", {"version": goals.version, "comment": "请补充分项目标的数量。"})
    goals.refresh_from_db()
    assert goals.state == "returned"
    assert "请补充分项目标的数量。" in leader.get(URL).content.decode()
    leader.post(URL, _form(goals.version, itemized="办件量不少于一万件；按时办结率不低于98%。"))
    goals.refresh_from_db()
    leader.post(f"{URL}submit/", {"version": goals.version, "comment": "已补充"})
    goals.refresh_from_db()
    assert goals.state == "finance_review"
    finance.post(f"{URL}approve/", {"version": goals.version})
    goals.refresh_from_db()
    assert goals.state == "published"
    assert list(Event.objects.filter(goals=goals).values_list("action", "actor__username")) == [
        ("submit", "agency_leader"), ("return", "agency_finance"), ("submit", "agency_leader"), ("publish", "agency_finance"),
    ]
    # published with the sheets: the public agency page and the 已公开 package
    publish(make_sheet())
    public = client_of(None).get("/public/agencies/489001/2024/").content.decode()
    assert 'data-testid="public-goals"' in public and "按时办结率不低于98%。" in public
    package = leader.get("/agencies/489001/2024/package.docx?published=1")
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(b"".join(package.streaming_content))).paragraphs)
    assert "部门整体绩效目标" in text and "提升政务服务效能。" in text


def test_draft_goals_are_not_public_nor_in_the_published_package(client_of, org, make_sheet, publish):
    goals_set(agency=org.agency, fiscal_year=org.year, goals=DepartmentGoalsData(overall=["尚在起草。"]), user=org.leader)
    publish(make_sheet())
    assert "尚在起草。" not in client_of(None).get("/public/agencies/489001/2024/").content.decode()
    package = client_of(org.leader).get("/agencies/489001/2024/package.docx?published=1")
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(b"".join(package.streaming_content))).paragraphs)
    assert "尚在起草。" not in text
    everything = client_of(org.leader).get("/agencies/489001/2024/package.docx")
    assert "尚在起草。" in "\n".join(p.text for p in docx.Document(io.BytesIO(b"".join(everything.streaming_content))).paragraphs)


def test_the_new_doors_refuse_the_others(client_of, org):
    goals = goals_set(agency=org.agency, fiscal_year=org.year, goals=DepartmentGoalsData(overall=["目标。"]), user=org.leader)
    for user in (org.owner, org.head, org.finance, org.outsider_leader, org.outsider):
        client_of(user).post(f"{URL}submit/", {"version": goals.version})
    goals.refresh_from_db()
    assert goals.state == "draft" and not Event.objects.filter(goals=goals).exists()
    assert client_of(None).post(f"{URL}submit/", {"version": goals.version}).status_code == 302  # to the sign-in page
    assert client_of(org.outsider_leader).get(URL).status_code == 404
    document_submit(document=goals, user=org.leader)
    goals.refresh_from_db()
    for user in (org.leader, org.owner, org.head, org.outsider_leader):
        client_of(user).post(f"{URL}approve/", {"version": goals.version})
    goals.refresh_from_db()
    assert goals.state == "finance_review"
    with refused(403):
        document_approve(document=goals, user=org.outsider_leader)


def test_a_stale_save_is_refused(client_of, org):
    goals = goals_set(agency=org.agency, fiscal_year=org.year, goals=DepartmentGoalsData(overall=["第一版。"]), user=org.leader)
    old = goals.version
    goals_set(agency=org.agency, fiscal_year=org.year, goals=DepartmentGoalsData(overall=["第二版。"]), user=org.leader)
    page = client_of(org.leader).post(URL, _form(old, overall="基于旧版本的修改。")).content.decode()
    assert "已被他人修改" in page
    goals.refresh_from_db()
    assert goals.overall == "第二版。"


def test_an_import_leaves_goals_under_review_alone(org):
    goals = goals_set(agency=org.agency, fiscal_year=org.year, goals=DepartmentGoalsData(overall=["已提交的目标。"]), user=org.leader)
    document_submit(document=goals, user=org.leader)
    data = DocumentData(agency_code="489001", agency_name=org.agency.name, goals=DepartmentGoalsData(overall=["文件里的目标。"]), sheets=[])
    result = document_import(data=data, year=2024, user=None)
    goals.refresh_from_db()
    assert goals.overall == "已提交的目标。" and not result.goals_updated
    assert any("未修改部门整体绩效目标" in note for note in result.notes)


def test_goals_wait_in_the_leaders_then_finances_inbox(client_of, org):
    goals = goals_set(agency=org.agency, fiscal_year=org.year, goals=DepartmentGoalsData(overall=["目标。"]), user=org.leader)
    title = "测试县行政审批局本级2024年部门整体绩效目标"
    inbox = client_of(org.leader).get("/tasks/").content.decode()
    assert title in inbox and f'href="{URL}"' in inbox and "未分配科室" not in inbox
    assert title not in client_of(org.finance).get("/tasks/").content.decode()
    document_submit(document=goals, user=org.leader)
    inbox = client_of(org.finance).get("/tasks/").content.decode()
    assert title in inbox and "未分配科室" not in inbox
    assert title not in client_of(org.leader).get("/tasks/").content.decode()
    assert title not in client_of(org.outsider_leader).get("/tasks/").content.decode()
