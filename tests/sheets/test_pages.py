"""Browser pages: each page's doors for the owner, the other section, the other agency and the anonymous user."""

import pytest
from django.test import Client

from projects.models import DepartmentGoals, SheetState, TargetSheet


@pytest.fixture
def browser(people):
    def client_for(username=None):
        client = Client()
        if username:
            client.force_login(getattr(people, username))
        return client

    return client_for


SHEET_PAGES = ["/sheets/{pk}/", "/sheets/{pk}/edit/", "/sheets/{pk}/export.docx"]
SHEET_MOVES = ["submit", "withdraw", "approve", "return", "reassign", "check"]


@pytest.mark.parametrize("page", SHEET_PAGES)
def test_sheet_pages_are_not_found_for_the_other_section_and_agency(browser, sheet, page):
    url = page.format(pk=sheet.pk)
    assert browser("staff_ggzy").get(url).status_code in (200, 302)
    for outsider in ("staff_xy", "head_xy", "other_staff", "other_leader", "other_finance", "finance"):
        assert browser(outsider).get(url).status_code == 404, outsider
    anonymous = browser().get(url)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/login/")


@pytest.mark.parametrize("move", SHEET_MOVES)
def test_moves_by_outsiders_change_nothing(browser, sheet, move, to_state):
    to_state(sheet, "section_review")
    url = f"/sheets/{sheet.pk}/{move}/"
    for outsider in ("head_xy", "other_head", "other_leader"):
        assert browser(outsider).post(url, {"comment": "x"}).status_code == 404, outsider
    assert browser().post(url, {"comment": "x"}).status_code == 302
    sheet.refresh_from_db()
    assert sheet.state == SheetState.SECTION_REVIEW and sheet.events.count() == 1


def test_list_pages_need_sign_in(browser):
    for url in ("/tasks/", "/tasks/done/", "/sheets/", "/import/", "/goals/", "/goals/483001/2024/"):
        response = browser().get(url)
        assert response.status_code == 302 and response["Location"].startswith("/login/"), url


def test_inbox_counts_the_tasks_of_each_role(browser, sheet, to_state):
    to_state(sheet, "section_review")
    head_page = browser("head_ggzy").get("/tasks/").content.decode()
    assert "待我审核（1）" in head_page and "公共资源交易中心经费" in head_page
    assert "待我审核" not in browser("head_xy").get("/tasks/").content.decode()
    assert "待我编制或修改（3）" in browser("staff_ggzy").get("/tasks/").content.decode()  # 4 sheets, 1 submitted


def test_sheet_list_filters_by_state_and_errors(browser):
    page = browser("leader").get("/sheets/?errors=1").content.decode()
    assert "审批中心办公楼运维及保安保洁服务费" in page and "公共资源交易中心经费" not in page
    assert "1 个错误" in page
    assert "公共资源交易中心经费" in browser("leader").get("/sheets/?state=draft").content.decode()
    assert "公共资源交易中心经费" not in browser("leader").get("/sheets/?state=published").content.decode()


def test_detail_shows_return_comment_history_and_diff(browser, sheet, people, to_state):
    from workflow import services

    to_state(sheet, "returned")
    page = browser("staff_ggzy").get(f"/sheets/{sheet.pk}/").content.decode()
    assert 'data-testid="return-comment"' in page and "请补充" in page
    row = sheet.indicators.get(subcategory="数量指标")
    row.target_value = "≥160件"
    row.save()
    services.document_submit(document=sheet, user=people.staff_ggzy, comment="已按退回意见修改")
    page = browser("head_ggzy").get(f"/sheets/{sheet.pk}/").content.decode()
    assert "与上次提交相比的修改" in page and "≥150件" in page and "≥160件" in page
    assert page.count('class="event event-') == 3


def test_editor_saves_added_removed_and_reordered_rows(browser, sheet):
    client = browser("staff_ggzy")
    rows = list(sheet.indicators.all())
    data = {
        "sheet-budget_total": "10.00", "sheet-fiscal_funds": "10.00", "sheet-other_funds": "0", "sheet-purpose": "用途", "sheet-goal": "目标",
        "rows-TOTAL_FORMS": str(len(rows) + 1), "rows-INITIAL_FORMS": str(len(rows)), "rows-MIN_NUM_FORMS": "0", "rows-MAX_NUM_FORMS": "200",
    }
    for cp in sheet.fiscal_year.checkpoints.all():
        data[f"plan-cp_{cp.pk}"] = str(cp.planned_percent)
    data["version"] = str(sheet.version)
    order = {0: 2, 1: 1}  # swap the first two rows
    for i, row in enumerate(rows):
        for name in ("category", "subcategory", "name", "description", "target_value", "basis"):
            data[f"rows-{i}-{name}"] = getattr(row, name)
        data[f"rows-{i}-ORDER"] = str(order.get(i, i + 1))
    data["rows-2-DELETE"] = "on"  # remove 时效指标 … and add it back as a new last row
    new = len(rows)
    for name, value in {"category": "产出指标", "subcategory": "时效指标", "name": "办结及时率", "target_value": "≥99%"}.items():
        data[f"rows-{new}-{name}"] = value
    data[f"rows-{new}-ORDER"] = str(new + 1)
    response = client.post(f"/sheets/{sheet.pk}/edit/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    saved = [(i.subcategory, i.target_value) for i in sheet.indicators.order_by("order")]
    assert saved[:2] == [("质量指标", "≥98%"), ("数量指标", "≥150件")]
    assert saved[-1] == ("时效指标", "≥99%") and len(saved) == len(rows)
    assert sheet.purpose != "用途" and TargetSheet.objects.get(pk=sheet.pk).purpose == "用途"


def test_live_check_returns_findings_for_the_typed_input(browser, sheet):
    data = {"sheet-budget_total": "10", "sheet-fiscal_funds": "9", "sheet-other_funds": "0", "rows-TOTAL_FORMS": "0", "rows-INITIAL_FORMS": "0"}
    response = browser("staff_ggzy").post(f"/sheets/{sheet.pk}/check/", data)
    codes = {f["code"] for f in response.json()["findings"]}
    assert {"funds_mismatch", "missing_benefit", "missing_satisfaction"} <= codes
    assert browser("head_ggzy").post(f"/sheets/{sheet.pk}/check/", data).status_code == 403


def _tables(response) -> int:
    import io

    import docx

    return len(docx.Document(io.BytesIO(b"".join(response.streaming_content))).tables)


def test_package_download_for_leader_and_finance_only_and_finance_never_gets_drafts(browser, sheet, to_state):
    url = "/agencies/483001/2024/package.docx"
    assert _tables(browser("leader").get(url)) == 9  # nine sheets, one table each
    assert _tables(browser("finance").get(url)) == 0  # all drafts
    to_state(sheet, "finance_review")
    assert _tables(browser("finance").get(url)) == 1
    assert _tables(browser("leader").get(url + "?published=1")) == 0
    for outsider in ("staff_ggzy", "head_ggzy", "other_leader", "other_finance"):
        assert browser(outsider).get(url).status_code == 404, outsider


def test_the_whole_and_the_published_package_download_under_their_own_names(browser):
    from urllib.parse import unquote

    from django.utils import timezone

    url = "/agencies/483001/2024/package.docx"
    leader = browser("leader")
    names = [unquote(leader.get(url + query)["Content-Disposition"]) for query in ("", "?published=1")]
    today = timezone.localdate().strftime("%Y%m%d")
    assert f"483001乐亭县行政审批局本级2024年预算绩效目标（全部）-{today}.docx" in names[0]
    assert f"483001乐亭县行政审批局本级2024年预算绩效目标（已公开）-{today}.docx" in names[1]


def test_goals_are_edited_by_the_leader_and_read_by_staff(browser):
    url = "/goals/483001/2024/"
    response = browser("leader").post(url, {"overall": "第一段\n第二段", "itemized": "分项", "safeguards": "措施"})
    assert response.status_code == 302
    goals = DepartmentGoals.objects.get(agency__code="483001", fiscal_year__year=2024)
    assert goals.overall == "第一段\n第二段" and goals.updated_by.username == "leader"
    staff = browser("staff_ggzy")
    assert "第一段" in staff.get(url).content.decode()
    staff.post(url, {"overall": "篡改"})
    goals.refresh_from_db()
    assert goals.overall == "第一段\n第二段"
    assert browser("other_leader").get(url).status_code == 404


def test_import_page_updates_own_section_and_refuses_the_others(browser, seed_docx):
    client = browser("staff_ggzy")
    TargetSheet.objects.filter(position__in=(3, 5)).update(purpose="导入前")
    with open(seed_docx, "rb") as upload:
        preview = client.post("/import/", {"file": upload, "year": "2024", "section": TargetSheet.objects.get(position=3).section_id})
    assert TargetSheet.objects.get(position=3).purpose == "导入前"  # the preview writes nothing
    page = client.post(preview["Location"] + "confirm/").content.decode()
    assert "更新 1 张，拒绝 5 张，内容相同未改动 3 张" in page
    assert TargetSheet.objects.get(position=3).purpose == "保证县内招投标正常运行"
    assert TargetSheet.objects.get(position=5).purpose == "导入前"


def test_staff_import_renames_nothing_outside_its_own_drafts(browser, seed_docx, tmp_path, to_state):
    import docx

    from projects.models import Agency, Project

    to_state(TargetSheet.objects.get(position=1), "published")
    document = docx.Document(str(seed_docx))
    for table in document.tables:
        for row in table.rows:
            for cell in row.cells:
                if cell.text.startswith("483001"):
                    cell.text = "483001被改名的单位"
    for index in (0, 16):  # sheet 1 (published, own section) and sheet 9 (another section)
        document.tables[index].cell(1, 4).text = "被改的项目名"
    renamed = tmp_path / "renamed.docx"
    document.save(str(renamed))
    client = browser("staff_ggzy")
    with open(renamed, "rb") as upload:
        preview = client.post("/import/", {"file": upload, "year": "2024", "section": TargetSheet.objects.get(position=3).section_id})
    page = client.post(preview["Location"] + "confirm/").content.decode()
    assert "更新 0 张，拒绝 6 张，内容相同未改动 3 张" in page
    assert Agency.objects.get(code="483001").name == "乐亭县行政审批局本级"
    assert not Project.objects.filter(name="被改的项目名").exists()


def test_import_page_reports_a_bad_file_and_changes_nothing(browser, tmp_path):
    bad = tmp_path / "旧格式.doc"
    bad.write_bytes(b"\xd0\xcf\x11\xe0" + b"\0" * 100)
    client = browser("staff_ggzy")
    with open(bad, "rb") as upload:
        page = client.post("/import/", {"file": upload, "year": "2024", "section": TargetSheet.objects.get(position=3).section_id}).content.decode()
    assert "导入失败，未做任何修改" in page and "旧格式.doc" in page
    assert "Traceback" not in page


def test_import_page_is_for_staff_and_admins(browser):
    assert browser("head_ggzy").get("/import/").status_code == 302
    assert browser("staff_ggzy").get("/import/").status_code == 200
    assert browser("admin").get("/import/").status_code == 200


def test_finance_returning_lands_on_the_inbox_and_done_list_has_no_dead_link(browser, sheet, to_state):
    to_state(sheet, "finance_review")
    client = browser("finance")
    response = client.post(f"/sheets/{sheet.pk}/return/", {"comment": "成本指标请细化"}, follow=True)
    assert response.redirect_chain[-1][0] == "/tasks/" and response.status_code == 200
    assert "已退回修改" in response.content.decode()
    done = client.get("/tasks/done/").content.decode()
    assert "公共资源交易中心经费" in done and f"/sheets/{sheet.pk}/" not in done


def test_published_sheet_page_shows_plan_against_actual(browser, sheet, to_state):
    to_state(sheet, "published")
    page = browser("staff_ggzy").get(f"/sheets/{sheet.pk}/").content.decode()
    assert 'data-testid="spend-chart"' in page and "执行进度" in page
    draft = TargetSheet.objects.get(position=4)
    assert 'data-testid="spend-chart"' not in browser("staff_ggzy").get(f"/sheets/{draft.pk}/").content.decode()
