"""WeCom checks the callback URL with a GET: we answer the decrypted echostr, and nothing for a bad signature."""

from __future__ import annotations


def test_url_verification_answers_the_plain_echostr(client, wecom_app):
    response = client.get("/wecom/callback/", wecom_app.url_verification("8467380251629"))

    assert response.status_code == 200
    assert response.content == b"8467380251629"


def test_url_verification_with_a_bad_signature_is_refused(client, wecom_app):
    response = client.get("/wecom/callback/", wecom_app.url_verification("8467380251629", tamper="signature"))

    assert response.status_code == 403
    assert b"8467380251629" not in response.content
