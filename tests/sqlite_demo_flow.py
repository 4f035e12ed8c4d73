"""Run by tests/test_sqlite_demo.py in a process of its own on the embedded default (SQLite, no Redis, tasks run
in-process), after ``migrate`` and ``seed_demo``: what a visitor of ``make run`` does, door by door."""

import datetime
import io

from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from notifications.models import Notification
from workdays.days import next_workday
from projects.models import TargetSheet


def signed_in(username: str) -> Client:
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.get(username=username)
    assert user.check_password("demo"), username  # the password the README gives
    client = Client(HTTP_HOST="127.0.0.1")  # the host make run serves
    client.force_login(user)
    return client


def ok(response, what: str, status: int = 200):
    assert response.status_code == status, f"{what}: {response.status_code} {response.content[:500]!r}"
    return response


def move(client: Client, sheet: TargetSheet, action: str, **data):
    sheet.refresh_from_db()
    ok(client.post(f"/sheets/{sheet.pk}/{action}/", {"version": sheet.version, **data}), f"{action} {sheet.pk}", 302)
    sheet.refresh_from_db()
    return sheet


def main() -> None:
    year = timezone.localdate().year  # make run's demo is this year's
    sheet = TargetSheet.objects.get(position=3, fiscal_year__year=year)
    staff, head, leader, finance = (signed_in(u) for u in ("staff_ggzy", "head_ggzy", "leader", "finance"))
    for client in (staff, head, leader, finance):
        for path in ("/tasks/", "/sheets/", "/sheets/?state=draft&q=公共", "/api/sheets/", "/notifications/",
                     "/library/", "/public/"):
            ok(client.get(path), path)
    ok(staff.get(f"/sheets/{sheet.pk}/"), "the draft's page")
    spending = ok(staff.get(f"/sheets/{sheet.pk}/spending/"), "the draft's 执行进度").content.decode()
    assert "未填报" not in spending and "红色预警</span>" not in spending  # nothing is reported before publication
    assert move(staff, sheet, "submit").state == "section_review"
    assert move(head, sheet, "approve").state == "leader_review"
    assert move(leader, sheet, "return", comment="请补充依据").state == "returned"
    assert move(staff, sheet, "submit", comment="已补充").state == "section_review"
    for client in (head, leader, finance):
        assert move(client, sheet, "approve").state != "returned"
    assert sheet.state == "published", sheet.state
    ok(Client(HTTP_HOST="127.0.0.1").get(f"/public/sheets/{sheet.pk}/"), "public detail")
    assert Notification.objects.filter(sheet=sheet).exists()
    for client in (staff, head, leader, finance):
        ok(client.get(f"/sheets/{sheet.pk}/"), "the published sheet's page")
        ok(client.get("/tasks/"), "待办 after")
    before = Notification.objects.count()
    june = datetime.date(year, 6, 30)
    for day in (june - datetime.timedelta(days=7), next_workday(june)):  # the reminder before 6月底, the warning after
        output = io.StringIO()
        call_command("run_reminders", "--date", day.isoformat(), stdout=output)
        assert "已发送通知" in output.getvalue(), output.getvalue()
    assert Notification.objects.filter(kind="spend_reminder").exists() and Notification.objects.filter(kind="spend_warning").exists()
    assert Notification.objects.count() > before
    call_command("check_workflow", stdout=io.StringIO())
    # issue 24's bounded reads take SQLite's plain path: the type-ahead (short and long), the dashboard's totals, the picker
    for q in ("资", "zj", "资金执行"):
        found = ok(staff.get("/library/suggest/", {"category": "产出指标", "subcategory": "时效指标", "q": q}), f"suggest {q}").json()
        assert isinstance(found["results"], list), found
    assert [r["name"] for r in staff.get("/library/suggest/", {"category": "产出指标", "q": "zjzxl"}).json()["results"]] == ["资金执行率"]
    dashboard = ok(leader.get(f"/agencies/483001/spending/?year={year}"), "the agency dashboard").content.decode()
    assert "已公开 1 张绩效目标表" in dashboard, dashboard[:2000]
    picked = ok(signed_in("unit_admin").get("/people/483001/candidates/", {"q": "王"}), "the person picker").json()["results"]
    assert [p["username"] for p in picked] == ["staff_ggzy"], picked
    # delivered in-process (no Redis): no e-mail row is left waiting for a worker that make run does not start
    assert not Notification.objects.filter(status__in=["pending", "sending"], channel="email").exists()
    print("SQLITE DEMO OK", Notification.objects.count())


main()
