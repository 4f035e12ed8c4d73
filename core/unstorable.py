"""Text PostgreSQL cannot store: a NUL character (``\\x00``; a ``text`` value cannot hold one) and a lone UTF-16
surrogate (``\\ud800``–``\\udfff``; it has no UTF-8 encoding). Either one, reaching a query as a filter, a lookup or
a value to save, makes the database driver raise and the page answer 500.

They are refused at the doors, before any view runs, with a Chinese message (400) and nothing changed:

- ``UnstorableTextMiddleware`` (in MIDDLEWARE after authentication, so the refusal page knows who is signed in):
  the path (``/people/<code>/``…), every query parameter's name and value, and the names and values of a page's
  POSTed form fields and uploaded files' names. An API body is left to the API's parsers.
- ``core.parsers``: every body the API parses (JSON, including ``"\\u0000"`` escapes, form and multipart; POST,
  PUT and PATCH alike) is checked with ``unstorable`` and refused as ``{"detail": …, "code": "invalid_character"}``.

A request header never carries one: gunicorn refuses NUL in header values before Django sees them.
"""

from __future__ import annotations

import re

from django.http import JsonResponse
from django.shortcuts import render
from django.utils.datastructures import MultiValueDict

from core.errors import API_PREFIX

UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
MESSAGE = "请求中含有无法处理的字符（空字符等控制字符），请删除后再试；没有保存任何内容。"
CODE = "invalid_character"


def unstorable(value) -> bool:
    """Does ``value`` (a string, or any nesting of dicts, lists and query dicts of them) hold such a character?
    Iterative: no recursion on hostile input."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if UNSTORABLE.search(item):
                return True
        elif isinstance(item, MultiValueDict):  # QueryDict: every value of every key, not only the last
            for key, values in item.lists():
                stack.append(key)
                stack.extend(values)
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)):
            stack.extend(item)
    return False


def _request_unstorable(request) -> bool:
    if unstorable(request.path_info) or unstorable(request.GET):
        return True
    if request.method != "POST" or request.path_info.startswith(API_PREFIX):
        return False  # Django parses only a POST's form body; the API's parsers check whatever body they parse
    return unstorable(request.POST)  # an uploaded file's name: Django's parser already drops unprintable characters


def refusal(request):
    if request.path_info.startswith(API_PREFIX):
        return JsonResponse({"detail": MESSAGE, "code": CODE}, status=400, json_dumps_params={"ensure_ascii": False})
    return render(request, "error.html", {"message": MESSAGE, "status": 400}, status=400)


class UnstorableTextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if _request_unstorable(request):
            return refusal(request)
        return self.get_response(request)
