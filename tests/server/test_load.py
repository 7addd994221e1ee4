"""A short load smoke test: concurrent clients over real HTTP (the full run is
``bench/bench_server.py``: 50 clients for 30 s)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import pytest

from _server import PASSWORD, csrf_of, report_fields


async def _client(base: str, name: str, seconds: float) -> list[int]:
    codes: list[int] = []
    async with httpx.AsyncClient(base_url=base, timeout=30) as c:
        token = csrf_of((await c.get("/login")).text)
        await c.post("/login", data={"name": name, "password": PASSWORD, "csrf_token": token})
        csrf = (await c.get("/api/csrf")).json()["csrf"]
        deadline = time.perf_counter() + seconds
        while time.perf_counter() < deadline:
            codes.append((await c.get("/runs")).status_code)
            sent = await c.post(
                "/api/reports", json=report_fields(), headers={"X-CSRF-Token": csrf}
            )
            codes.append(sent.status_code)
    return codes


@pytest.mark.slow
def test_concurrent_clients_get_no_errors(site_factory: Any) -> None:
    from equilens.server import running_server

    site = site_factory(intake_limit=10_000, login_limit=10_000)
    with running_server(site.make().app) as base:

        async def run() -> list[list[int]]:
            names = ["viewer", "reporter", "triager", "admin"] * 2
            return await asyncio.gather(*[_client(base, n, 1.5) for n in names])

        results = asyncio.run(run())
    names = ["viewer", "reporter", "triager", "admin"] * 2
    posted = 0
    for name, codes in zip(names, results):
        gets, posts = codes[0::2], codes[1::2]
        assert gets and set(gets) == {200}, name
        assert set(posts) == ({403} if name == "viewer" else {201}), (name, set(posts))
        posted += 0 if name == "viewer" else len(posts)
    assert site.db.count_reports() == posted > 0  # every accepted report is stored, once
