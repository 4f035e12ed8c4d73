"""The WSGI application the benchmark's servers run (targetflow's or the anchor's, by DJANGO_SETTINGS_MODULE):
Django's own, plus two response headers the harness reads — the request's database queries and the worker's
peak RSS so far. Nothing else changes."""

import resource

from django.core.wsgi import get_wsgi_application
from django.db import connection

_django = get_wsgi_application()


def application(environ, start_response):
    count = 0

    def counted(execute, sql, params, many, context):
        nonlocal count
        count += 1
        return execute(sql, params, many, context)

    def start(status, headers, exc_info=None):
        headers = list(headers) + [
            ("X-Bench-Queries", str(count)),
            ("X-Bench-Maxrss-Kb", str(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)),
        ]
        return start_response(status, headers, exc_info)

    with connection.execute_wrapper(counted):
        return _django(environ, start)
