"""WebSub: tell the hub which feed URLs changed (https://www.w3.org/TR/websub/#publishing).

A hub that is down or slow must never fail a publish — the files are already written and
subscribers will poll anyway — so every failure becomes a warning string.
"""

from __future__ import annotations

from collections.abc import Iterable

import httpx

TIMEOUT_SECONDS = 5.0


def ping_hub(hub: str, urls: Iterable[str], *, timeout: float = TIMEOUT_SECONDS) -> list[str]:
    """POST ``hub.mode=publish`` for each URL; return one warning per failed ping."""
    warnings: list[str] = []
    with httpx.Client(timeout=timeout, follow_redirects=False) as client:
        for url in urls:
            try:
                response = client.post(hub, data={"hub.mode": "publish", "hub.url": url})
            except httpx.HTTPError as exc:
                warnings.append(f"WebSub hub {hub} unreachable for {url}: {exc}")
                continue
            if not response.is_success:
                warnings.append(f"WebSub hub {hub} answered {response.status_code} for {url}")
    return warnings
