"""常用意见: a person's own saved phrases plus a few defaults; nobody reads or deletes another person's."""

import json

from django.test import Client

from workflow.models import SavedPhrase


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


def texts(response):
    return [p["text"] for p in json.loads(response.content)["phrases"]]


def test_defaults_then_own_phrases_newest_first(people):
    client = client_for(people.leader)
    assert texts(client.get("/phrases/")) == list(SavedPhrase.DEFAULTS)
    assert client.post("/phrases/", {"text": "同意，请财政局审核。"}).status_code == 201
    assert client.post("/phrases/", {"text": "  同意，请财政局审核。 "}).status_code == 201  # once only
    response = client.post("/phrases/", {"text": "请补充绩效目标。"})
    assert texts(response) == ["请补充绩效目标。", "同意，请财政局审核。", *SavedPhrase.DEFAULTS]
    assert SavedPhrase.objects.filter(user=people.leader).count() == 2


def test_phrases_are_own_only(people):
    mine = client_for(people.leader)
    mine.post("/phrases/", {"text": "局领导的意见"})
    theirs = client_for(people.finance)
    assert "局领导的意见" not in texts(theirs.get("/phrases/"))
    phrase = SavedPhrase.objects.get(text="局领导的意见")
    assert theirs.post(f"/phrases/{phrase.pk}/delete/").status_code == 404
    assert SavedPhrase.objects.filter(pk=phrase.pk).exists()
    assert mine.post(f"/phrases/{phrase.pk}/delete/").status_code == 200
    assert not SavedPhrase.objects.filter(pk=phrase.pk).exists()


def test_anonymous_and_get_change_nothing(people):
    response = Client().post("/phrases/", {"text": "匿名"})
    assert response.status_code == 302
    client = client_for(people.leader)
    client.get("/phrases/", {"text": "GET 不保存"})
    phrase = SavedPhrase.objects.create(user=people.leader, text="保留")
    assert client.get(f"/phrases/{phrase.pk}/delete/").status_code == 405
    assert list(SavedPhrase.objects.values_list("text", flat=True)) == ["保留"]


def test_bad_phrases_are_refused_in_chinese(people):
    client = client_for(people.leader)
    for text, message in (("", "常用意见不能为空。"), ("a" * 201, "最多 200 个字"), ("换\n行", "控制字符")):
        response = client.post("/phrases/", {"text": text})
        assert response.status_code == 400 and message in json.loads(response.content)["detail"], text
    assert not SavedPhrase.objects.exists()


def test_the_review_boxes_offer_the_reviewers_phrases(people, to_state, sheet):
    to_state(sheet, "section_review")
    SavedPhrase.objects.create(user=people.head_ggzy, text="科长常用")
    SavedPhrase.objects.create(user=people.leader, text="局长常用")
    page = client_for(people.head_ggzy).get(f"/sheets/{sheet.pk}/").content.decode()
    assert 'data-phrase="科长常用"' in page and 'data-phrase="局长常用"' not in page
    approve_box = page[page.index('id="approve-sheet"'):page.index('id="return-sheet"')]
    return_box = page[page.index('id="return-sheet"'):]
    assert 'data-phrase="同意。"' in approve_box and 'data-phrase="同意。"' not in return_box
    assert 'data-phrase="请补充指标值确定依据。"' in return_box and 'data-phrase="科长常用"' in return_box
