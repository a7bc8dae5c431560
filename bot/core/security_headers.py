"""Security headers of the pages the core serves to browsers; each router gives its own
Content-Security-Policy."""

from __future__ import annotations

from collections.abc import Mapping


def content_security_policy(directives: Mapping[str, str]) -> str:
    """A policy from its directives, in order: {"default-src": "'self'"} -> "default-src 'self'"."""
    return "; ".join(f"{name} {value}" for name, value in directives.items())


def security_headers(
    policy: str, *, referrer: str, cache: str, frame_options: str | None = None
) -> dict[str, str]:
    """The headers of an HTML page: its policy, no MIME sniffing, the referrer policy and caching; optionally
    X-Frame-Options for browsers that predate `frame-ancestors`."""
    headers = {"Content-Security-Policy": policy, "X-Content-Type-Options": "nosniff"}
    if frame_options:
        headers["X-Frame-Options"] = frame_options
    headers.update({"Referrer-Policy": referrer, "Cache-Control": cache})
    return headers
