"""Published sheets for everyone, without signing in."""

from django.shortcuts import get_object_or_404, render

from projects import downloads
from projects.models import SheetState
from projects.selectors import sheets_with_content


def _published():
    return sheets_with_content().filter(state=SheetState.PUBLISHED)


def public_list(request):
    sheets = _published().order_by("-fiscal_year__year", "agency__code", "position")
    return render(request, "projects/public_list.html", {"sheets": sheets})


def public_detail(request, pk):
    sheet = get_object_or_404(_published(), pk=pk)
    return render(request, "projects/public_detail.html", {"sheet": sheet})


def public_download(request, pk):
    return downloads.sheet_download(get_object_or_404(_published(), pk=pk))
