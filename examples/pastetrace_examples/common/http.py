"""The one HTTP client the examples use to call each other (glance → registry, nova → glance…).

It is real client code: ``http.client.HTTPConnection(host, port)``. The class is looked up
on the ``http.client`` module at call time, so a tool (or a test) can replace
``http.client.HTTPConnection`` to route the call to another in-process deployment.
"""

from __future__ import annotations

import http.client
import json
from dataclasses import dataclass, field
from typing import Any


@dataclass
class HTTPResult:
    """What came back: status, headers (lower-case names) and the raw body."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


def request(
    host: str,
    port: int | str,
    method: str,
    path: str,
    *,
    headers: dict[str, str] | None = None,
    body: bytes | None = None,
    json_body: Any = None,
) -> HTTPResult:
    """Make one HTTP request and read the whole answer."""
    headers = dict(headers or {})
    if json_body is not None:
        body = json.dumps(json_body).encode()
        headers["Content-Type"] = "application/json"
    conn = http.client.HTTPConnection(host, int(port))
    try:
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        return HTTPResult(
            status=response.status,
            headers={name.lower(): value for name, value in response.getheaders()},
            body=response.read(),
        )
    finally:
        conn.close()


__all__ = ["HTTPResult", "request"]
