"""An API client gets its errors in JSON, a person in the browser gets the Chinese error page."""

import pytest
from django.test import Client
from django.urls import path

from config.urls import urlpatterns as site_urls


def _boom(request):
    raise RuntimeError("planted failure")


urlpatterns = [
    path("api/boom/", _boom),
    path("boom/", _boom),
    *site_urls,
]
handler404 = "config.errors.page_not_found"
handler500 = "config.errors.server_error"


@pytest.mark.django_db
def test_unknown_api_path_answers_json_404(client):
    response = client.get("/api/no-such-thing/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "未找到。"}


@pytest.mark.django_db
def test_unknown_page_answers_the_chinese_html_page(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
    assert "没有找到这个页面" in response.content.decode()


@pytest.mark.django_db
@pytest.mark.urls("tests.test_api_errors")
def test_api_crash_answers_json_500_without_traceback():
    response = Client(raise_request_exception=False).get("/api/boom/")
    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    assert "服务器出错" in response.json()["detail"]
    assert "planted failure" not in response.content.decode()


@pytest.mark.django_db
@pytest.mark.urls("tests.test_api_errors")
def test_page_crash_answers_the_html_error_page():
    response = Client(raise_request_exception=False).get("/boom/")
    assert response.status_code == 500
    assert response["Content-Type"].startswith("text/html")
    assert "planted failure" not in response.content.decode()
