"""Published sheets for everyone, without signing in."""

from django.shortcuts import get_object_or_404, render

from core.pagination import keyset_page, page_size
from projects.models import FiscalYear, SheetState, TargetSheet
from projects.selectors import sheets_with_content
from sheets.downloads import sheet_response
from sheets.selectors import SHEET_LIST_ORDER, sheet_filter  # the same filters and order as the signed-in list
from sheets.views import int_or_none

def _published():
    return sheets_with_content().filter(state=SheetState.PUBLISHED)

def public_list(request):
    """A province's published sheets a keyset page at a time, with year, agency and text filters; no total."""
    filters = {
        "year": int_or_none(request.GET.get("year")),
        "agency": (request.GET.get("agency") or "").strip()[:20] or None,
        "search": (request.GET.get("q") or "").strip()[:100] or None,
    }
    sheets = sheet_filter(TargetSheet.objects.filter(state=SheetState.PUBLISHED), **filters).select_related(
        "project", "agency", "fiscal_year"
    )
    page = keyset_page(
        sheets, SHEET_LIST_ORDER, cursor=request.GET.get("cursor"), size=page_size(request.GET.get("size")),
        params={"year": filters["year"], "agency": filters["agency"], "q": filters["search"]},
    )
    context = {"sheets": page.rows, "page": page, "filters": filters, "years": FiscalYear.objects.values_list("year", flat=True)}
    return render(request, "sheets/public_list.html", context)

def public_detail(request, pk):
    sheet = get_object_or_404(_published(), pk=pk)
    return render(request, "sheets/public_detail.html", {"sheet": sheet})

def public_download(request, pk):
    return sheet_response(get_object_or_404(_published(), pk=pk))
