"""A sheet with many indicator rows (the editor's and the fill's 200-indicator sheets), and an in-process profile of
its editor page.

    python -m benchmarks.big_sheet profile [--rows 200] [--repeat 20] [--pyinstrument]

``profile`` (on a migrated, seeded demo database): makes the seed's draft of 公共资源交易中心 hold ``rows`` rows
(kept: run it again and it reuses the sheet), then fetches ``/sheets/<pk>/edit/`` as its 经办人 with Django's test
client ``repeat`` times and prints the median, the size and the queries, and a profile of one more request.
"""

from __future__ import annotations

import os
import sys

# the form's groups, each with the units its rows use; the names vary per row (a province's sheets are not 8 names)
GROUPS = [
    ("产出指标", "数量指标", "项", "≥{n}项"),
    ("产出指标", "质量指标", "%", "≥{p}%"),
    ("产出指标", "时效指标", "个月", "≤{m}个月"),
    ("产出指标", "成本指标", "万元", "≤{c}万元"),
    ("效益指标", "经济效益指标", "", "明显提升"),
    ("效益指标", "社会效益指标", "%", "≥{p}%"),
    ("效益指标", "生态效益指标", "", "逐年改善"),
    ("效益指标", "可持续影响指标", "年", "≥{m}年"),
    ("满意度指标", "服务对象满意度指标", "%", "≥{p}%"),
]


def big_indicators(rows: int, *, seed: int = 0) -> list:
    """``rows`` indicator rows spread over the form's groups in their order, each name, description, value and basis
    of its own (row ``k`` of ``seed``)."""
    from projects.docx.data import IndicatorData

    per_group = [rows // len(GROUPS) + (1 if g < rows % len(GROUPS) else 0) for g in range(len(GROUPS))]
    out = []
    for g, (category, subcategory, _unit, value) in enumerate(GROUPS):
        for k in range(per_group[g]):
            n = seed * 1000 + len(out) + 1
            out.append(IndicatorData(
                category, subcategory, f"{subcategory[:-2]}考核事项{n}",
                f"第{n}项工作的{subcategory[:-2]}情况，按年度计划逐项落实并按季度报告进展",
                value.format(n=10 + n % 90, p=80 + n % 20, m=1 + n % 12, c=1 + n % 5),
                f"依据《年度工作计划》第{n}条及上年实际完成情况确定",
            ))
    return out


def make_big_draft(rows: int = 200):
    """The seed's clean draft of 公共资源交易中心 (the tests' ``sheet``) with ``rows`` rows, and its 经办人."""
    from django.contrib.auth import get_user_model
    from django.db import transaction

    from projects.models import TargetSheet
    from projects.services import sheet_content_of, sheet_content_replace

    user = get_user_model().objects.get(username="staff_ggzy")
    sheet = TargetSheet.objects.filter(section__name="公共资源交易中心", state="draft").order_by("pk").first()
    wanted = big_indicators(rows)
    if sheet_content_of(sheet)["indicators"] != wanted:
        with transaction.atomic():
            content = sheet_content_of(sheet) | {"indicators": wanted}
            sheet_content_replace(sheet=sheet, user=user, **content)
    return sheet, user


def save_html(rows: int, out: str) -> None:
    """The editor page's HTML (for comparing a change of the page: the CSRF token blanked)."""
    import re
    from pathlib import Path

    from django.test import Client

    sheet, user = make_big_draft(rows)
    client = Client(SERVER_NAME="localhost")
    client.force_login(user)
    html = client.get(f"/sheets/{sheet.pk}/edit/").content.decode()
    Path(out).write_text(re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', 'name="csrfmiddlewaretoken"', html))


def compare(rows: int = 200, repeat: int = 20) -> None:
    """The editor with its rows' widgets written by ``core.form_renderer`` and by Django's templates, interleaved in one
    process: the median and the fastest of each, and whether the two pages are the same."""
    import re
    import statistics
    import time

    from django.test import Client

    from sheets.forms import IndicatorFormSet

    sheet, user = make_big_draft(rows)
    client = Client(SERVER_NAME="localhost")
    client.force_login(user)
    url = f"/sheets/{sheet.pk}/edit/"
    fast = IndicatorFormSet.renderer
    times, pages = {"python": [], "templates": []}, {}
    try:
        for n in range(repeat + 1):
            for name, renderer in (("python", fast), ("templates", None)):
                IndicatorFormSet.renderer = renderer
                started = time.perf_counter()
                response = client.get(url)
                if n:  # the first of each warms up
                    times[name].append((time.perf_counter() - started) * 1000)
                pages[name] = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", response.content.decode())
    finally:
        IndicatorFormSet.renderer = fast
    for name, samples in times.items():
        print(f"{name}: median {statistics.median(samples):.1f} ms, fastest {min(samples):.1f} ms")
    print("same page" if pages["python"] == pages["templates"] else "THE PAGES DIFFER", f"({len(pages['python']) / 1024:.0f} KB)")


def profile(rows: int = 200, repeat: int = 20, use_pyinstrument: bool = False) -> None:
    import statistics
    import time

    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    sheet, user = make_big_draft(rows)
    client = Client(SERVER_NAME="localhost")
    client.force_login(user)
    url = f"/sheets/{sheet.pk}/edit/"
    client.get(url)
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
    assert response.status_code == 200, response.status_code
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    print(f"{url}: {rows} rows, median {statistics.median(times):.1f} ms, min {min(times):.1f} ms, "
          f"{len(response.content) / 1024:.0f} KB, {len(queries)} queries")
    if use_pyinstrument:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.0005)
        profiler.start()
        for _ in range(5):
            client.get(url)
        profiler.stop()
        print(profiler.output_text(unicode=True, color=False, show_all=False))
    else:
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(5):
            client.get(url)
        profiler.disable()
        pstats.Stats(profiler).sort_stats(os.environ.get("SORT", "cumulative")).print_stats(45)


if __name__ == "__main__":
    import argparse
    import os

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    parser = argparse.ArgumentParser()
    parser.add_argument("what", choices=["profile", "html", "compare"])
    parser.add_argument("--out", default="")
    parser.add_argument("--rows", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--pyinstrument", action="store_true")
    args = parser.parse_args()
    if args.what == "compare":
        compare(args.rows, args.repeat)
    elif args.what == "html":
        save_html(args.rows, args.out)
    else:
        profile(args.rows, args.repeat, args.pyinstrument)
    sys.exit(0)
