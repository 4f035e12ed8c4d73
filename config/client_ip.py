"""The client's address for login throttling (django-axes), also behind reverse proxies.

``TRUSTED_PROXY_COUNT`` (default 0) is how many proxies in front of gunicorn append the address they saw to
``X-Forwarded-For``. With 0 the address is ``REMOTE_ADDR`` and the header is ignored (a client can write
anything into it). With N, the address is the N-th entry from the right of the header, the one the outermost
trusted proxy saw: entries further left were written by the client and are never believed. A header shorter
than N means the request did not come through all the proxies, so the leftmost entry is all we can say.
"""

from __future__ import annotations

from django.conf import settings


def client_ip(request) -> str | None:
    count = settings.TRUSTED_PROXY_COUNT
    remote = request.META.get("REMOTE_ADDR")
    if count <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if not forwarded:
        return remote
    return forwarded[-count] if len(forwarded) >= count else forwarded[0]
