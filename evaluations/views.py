"""The self-evaluation's pages."""

from django.http import HttpResponse


def evaluation_detail(request, pk):  # replaced by the form page
    return HttpResponse(status=404)


def evaluation_start(request, pk):
    return HttpResponse(status=404)
