"""The API's doors have limits: body size (413, Chinese JSON), JSON nesting (400), row counts (400); a user who
may not act is refused before the body is parsed; every API error is JSON."""

import json

import pytest
from django.test import Client
from rest_framework.test import APIClient

from projects.models import TargetSheet


def raw_patch(client, sheet, body: bytes, **extra):
    return client.generic("PATCH", f"/api/sheets/{sheet.pk}/", body, content_type="application/json", HTTP_IF_MATCH=sheet.etag, **extra)


@pytest.fixture
def staff(people):
    client = Client()
    client.force_login(people.staff_ggzy)
    return client


def test_a_body_over_the_limit_is_413_with_chinese_json(staff, sheet, settings):
    settings.API_MAX_BODY_BYTES = 10_000
    body = json.dumps({"purpose": "用" * 20_000}).encode()
    response = raw_patch(staff, sheet, body)
    assert response.status_code == 413
    assert response["Content-Type"].startswith("application/json")
    assert "过大" in response.json()["detail"] and response.json()["code"] == "request_too_large"


def test_a_body_over_the_limit_is_refused_while_reading_when_content_length_lies(sheet, settings, people):
    from core.parsers import LimitedJSONParser
    from core.errors import AppError
    import io

    settings.API_MAX_BODY_BYTES = 1000
    with pytest.raises(AppError) as refused:
        LimitedJSONParser().parse(io.BytesIO(b"[" + b"1," * 5000 + b"1]"), parser_context={})
    assert refused.value.status == 413


def test_100000_deep_json_is_400_not_a_recursion_error(staff, sheet):
    body = b"[" * 100_000 + b"]" * 100_000
    response = raw_patch(staff, sheet, body)
    assert response.status_code == 400
    assert "嵌套" in response.json()["detail"]
    nested = 1
    for _ in range(40):
        nested = [nested]
    deep = json.dumps({"purpose": "x", "extra": nested}).encode()
    assert raw_patch(staff, sheet, deep).status_code == 400


def test_40000_indicators_are_a_json_400(staff, sheet):
    rows = [{"category": "产出指标", "subcategory": "数量指标", "name": "n"}] * 40_000
    response = raw_patch(staff, sheet, json.dumps({"indicators": rows}).encode())
    assert response.status_code in (400, 413)
    assert response["Content-Type"].startswith("application/json")
    assert "200" in json.dumps(response.json(), ensure_ascii=False) or response.status_code == 413


def test_invalid_json_is_a_chinese_400(staff, sheet):
    response = raw_patch(staff, sheet, b"{not json")
    assert response.status_code == 400 and response.json()["code"] == "parse_error"


def test_a_user_with_no_role_is_refused_before_the_body_is_parsed(people, sheet, monkeypatch):
    from core import parsers

    def must_not_parse(*args, **kwargs):
        raise AssertionError("the body was parsed before permission was checked")

    monkeypatch.setattr(parsers.LimitedJSONParser, "parse", must_not_parse)
    client = Client()
    client.force_login(people.nobody)
    for path, method in [(f"/api/sheets/{sheet.pk}/", "PATCH"), (f"/api/sheets/{sheet.pk}/approve/", "POST"),
                         (f"/api/sheets/{sheet.pk}/submit/", "POST"), (f"/api/sheets/{sheet.pk}/return/", "POST"),
                         (f"/api/sheets/{sheet.pk}/reassign/", "POST"), (f"/api/sheets/{sheet.pk}/spend-reports/", "POST")]:
        response = client.generic(method, path, b'{"comment": "x"}', content_type="application/json", HTTP_IF_MATCH=sheet.etag)
        assert response.status_code in (403, 404), (path, response.status_code)
        assert response["Content-Type"].startswith("application/json")


def test_a_user_with_no_role_is_refused_before_the_body_of_a_move_on_a_published_sheet_is_parsed(people, to_state, monkeypatch):
    from core import parsers

    published = to_state(TargetSheet.objects.get(position=3, fiscal_year__year=2024), "published")

    def must_not_parse(*args, **kwargs):
        raise AssertionError("the body was parsed before permission was checked")

    monkeypatch.setattr(parsers.LimitedJSONParser, "parse", must_not_parse)
    client = Client()
    client.force_login(people.nobody)
    for move in ("approve", "submit", "withdraw", "return", "reassign"):
        response = client.post(f"/api/sheets/{published.pk}/{move}/", b'{"comment": "x"}', content_type="application/json")
        assert response.status_code == 403, (move, response.status_code)
        assert response.json()["code"] == "permission_denied"


def test_an_unexpected_error_in_an_api_view_is_json_500(people, sheet, monkeypatch):
    from sheets import api

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(api, "_detail", broken)
    client = APIClient()
    client.force_authenticate(people.staff_ggzy)
    client.raise_request_exception = False
    response = client.get(f"/api/sheets/{sheet.pk}/")
    assert response.status_code == 500
    assert response["Content-Type"].startswith("application/json") and response.json()["code"] == "server_error"


def test_comments_have_a_length_limit(people, sheet):
    client = APIClient()
    client.force_authenticate(people.staff_ggzy)
    response = client.post(f"/api/sheets/{sheet.pk}/submit/", {"comment": "意" * 2001}, format="json")
    assert response.status_code == 400
