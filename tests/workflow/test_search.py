"""Search in 待办, 已办 and 通知 by project name, code or person (姓名), within what the user may see, on indexes
(the trigram indexes of the project's name and code, projects 0005, and of a person's 姓名, people 0002); the keyset
pages keep the search in their links."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client

from projects.models import TargetSheet
from tests.support import drive
from workflow import selectors


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def tasks_of(client, q) -> set[str]:
    page = client.get("/tasks/", {"q": q}).content.decode()
    return {part.split('"')[0] for part in page.split('data-testid="task" data-sheet="')[1:]}


@pytest.fixture
def waiting(people):
    """Sheets 1 and 3 of 公共资源交易中心 at 科室审核 (submitted by 王芳), sheet 5 of 信用与放管服办公室 at 局领导审批."""
    one, three, five = (TargetSheet.objects.get(position=p, fiscal_year__year=2024) for p in (1, 3, 5))
    drive(one, ("submit", people.staff_ggzy))
    drive(three, ("submit", people.staff_ggzy))
    drive(five, ("submit", people.staff_xy), ("approve", people.head_xy))
    return one, three, five


def test_todo_finds_by_code_name_and_person(people, waiting):
    one, three, five = waiting
    head = client_for(people.head_ggzy)
    assert tasks_of(head, "") == {str(one.pk), str(three.pk)}
    assert tasks_of(head, one.project.code[-6:]) == {str(one.pk)}
    assert tasks_of(head, three.project.name[:4]) >= {str(three.pk)}
    assert tasks_of(head, "王芳") == {str(one.pk), str(three.pk)}  # the submitter, by 姓名
    assert tasks_of(head, "赵敏") == set()
    leader = client_for(people.leader)
    assert tasks_of(leader, "赵敏") == {str(five.pk)}
    assert tasks_of(leader, "孙磊") == {str(five.pk)}  # an approver of its round


def test_done_and_notifications_find_by_code_and_person(people, waiting):
    one, three, five = waiting
    staff = client_for(people.staff_ggzy)
    done = staff.get("/tasks/done/", {"q": one.project.code}).content.decode()
    assert one.display_title in done and three.display_title not in done
    drive(three, ("approve", people.head_ggzy))
    by_person = staff.get("/tasks/done/", {"q": "李强"}).content.decode()  # what I did on the sheets 李强 acted on
    assert three.display_title in by_person and one.display_title not in by_person
    head = client_for(people.head_ggzy)
    listed = head.get("/notifications/", {"q": one.project.code}).content.decode()
    assert one.display_title in listed and three.display_title not in listed
    by_person = head.get("/notifications/", {"q": "王芳"}).content.decode()
    assert one.display_title in by_person and three.display_title in by_person


def test_search_never_reaches_beyond_what_one_may_see(people, waiting):
    one, _, _ = waiting
    for user in (people.other_head, people.other_leader, people.head_xy):
        assert tasks_of(client_for(user), one.project.code) == set()
        assert one.display_title not in client_for(user).get("/notifications/", {"q": one.project.code}).content.decode()
        assert one.display_title not in client_for(user).get("/tasks/done/", {"q": one.project.code}).content.decode()
    anonymous = Client().get("/tasks/", {"q": "王芳"})
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/login/")


def test_a_person_is_found_on_the_name_index(people):
    assert selectors.people_matching("建国") == [people.leader.pk]
    assert selectors.people_matching("张%国") == [] and selectors.people_matching("张_国") == []  # no wildcards
    if connection.vendor != "postgresql":
        return
    from django.contrib.auth import get_user_model

    query = get_user_model().objects.extra(
        where=['UPPER("auth_user"."last_name" || "auth_user"."first_name") LIKE UPPER(%s)'], params=["%建国%"]
    ).values("pk").query
    sql, params = query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "person_name_trgm" in plan, plan
