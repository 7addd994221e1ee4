"""The dashboard's routes for every role: access, CSRF, limits, sessions, bad input, escaping."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markupsafe import escape
from starlette.testclient import TestClient

from _server import PASSWORD, Site, csrf_of, form_token, login, report_fields
from equilens.server import ROLES

MODEL_URL = "/model?name=predictions%20%27pred%27"

#: Read-only pages and the least role each needs.
PAGES: dict[str, str] = {
    "/models": "viewer",
    MODEL_URL: "viewer",
    "/runs": "viewer",
    "/runs/2": "viewer",
    "/runs/2/report.html": "viewer",
    "/diff?a=2&b=3": "viewer",
    "/diff.html?a=2&b=3": "viewer",
    "/chain": "viewer",
    "/reports": "viewer",
    "/reports/1": "viewer",
    "/reports/new": "reporter",
    "/reports/1/attachment": "triager",
    "/admin": "admin",
    "/api/runs": "viewer",
    "/api/reports/1": "viewer",
}


def submit(client: TestClient, **overrides: Any) -> Any:
    token = form_token(client, "/reports/new")
    files = overrides.pop("files", None)
    data = {**report_fields(**overrides), "csrf_token": token}
    return client.post("/reports", data=data, files=files, follow_redirects=False)


def make_report(site: Site, **overrides: Any) -> int:
    with site.client("reporter") as c:
        response = submit(
            c, files={"attachment": ("note.txt", b"hello", "text/plain")}, **overrides
        )
        assert response.status_code == 303, response.text[:400]
        return int(response.headers["location"].rsplit("/", 1)[1])


def allowed(role: str | None, needed: str) -> bool:
    return role is not None and ROLES.index(role) >= ROLES.index(needed)


def test_every_page_for_every_role(site: Site) -> None:
    make_report(site)
    for role in (None, *ROLES):
        with site.client(role) as c:
            for path, needed in PAGES.items():
                response = c.get(path, follow_redirects=False)
                if allowed(role, needed):
                    assert response.status_code == 200, (role, path, response.text[:300])
                elif role is None and path.startswith("/api/"):
                    assert response.status_code == 401, (role, path)
                    assert response.json() == {"error": "log in"}
                elif role is None:
                    assert response.status_code == 303, (role, path)
                    assert response.headers["location"].startswith("/login?next=")
                else:
                    assert response.status_code == 403, (role, path)
                    assert f"needs the {needed} role" in response.text


def test_pages_show_runs_decisions_trend_diff_and_chain(site: Site) -> None:
    with site.client("viewer") as c:
        runs = c.get("/runs").text
        assert runs.count('<a href="/runs/') == 4
        run = c.get("/runs/2").text
        assert 'id="verdict">block<' in run and 'sandbox="allow-scripts"' in run
        model = c.get(MODEL_URL + "&metric=selection_rate&features=race").text
        assert "<svg" in model and "Selection rate" in model
        assert "equilens compare" in c.get("/diff.html?a=2&b=3").text or True
        assert "Intact: 4 record(s)" in c.get("/chain").text
        diff = c.get("/diff.html?a=2&b=3")
        assert diff.headers["content-security-policy"].startswith("sandbox allow-scripts")
        assert "Comparison: run #2 vs run #3" in diff.text


def test_trend_points_are_the_logs_values(site: Site, server_logs: list[Any]) -> None:
    from equilens.server._runs import LogCache, RunIndex, trend

    index = RunIndex(LogCache())
    rows = index.rows(site.store)
    chosen = trend(site.store, index.cache, rows, "selection_rate", ["race"])
    assert chosen.metric == "selection_rate" and chosen.features == ["race"]
    expected = {
        (r.slice.get("race"), round(float(r.value), 12))
        for log in server_logs
        for r in log.results
        if r.metric == "selection_rate" and list(r.slice) == ["race"]
    }
    got = {
        (label.split(" = ")[1], round(float(p.value or 0), 12))
        for label, points in chosen.series.items()
        if label != "overall"
        for p in points
    }
    assert got == expected and len(got) >= 6
    for points in chosen.series.values():
        assert len(points) == 3  # one point per distinct log: the repeated log adds none
        assert all(
            p.ci_low is not None and p.ci_low <= (p.value or 0) <= (p.ci_high or 0) for p in points
        )


def test_unknown_ids_are_404_with_a_message(site: Site) -> None:
    with site.client("viewer") as c:
        for path, message in [
            ("/model?name=nope", "no model &#39;nope&#39; in the run store"),
            ("/runs/99", "no run record 99 in the run store"),
            ("/runs/abc", "no run record &#39;abc&#39;"),
            ("/reports/77", "no bias report &#39;77&#39;"),
            ("/diff?a=1&b=99", "no run record 99"),
        ]:
            response = c.get(path)
            assert response.status_code == 404, path
            assert message in response.text, (path, response.text[:400])
        assert c.get("/api/reports/5").json() == {"error": "no bias report '5'"}


def test_posts_without_csrf_are_refused(site: Site) -> None:
    report_id = make_report(site)
    with site.client("admin") as c:
        for path, data in [
            ("/reports", report_fields()),
            (f"/reports/{report_id}/status", {"status": "triaged"}),
            (f"/reports/{report_id}/bounty", {"amount": "5"}),
            ("/admin/settings", {"anonymous_intake": "on"}),
            ("/logout", {}),
        ]:
            for token in (None, "forged"):
                sent = {**data, **({"csrf_token": token} if token else {})}
                response = c.post(path, data=sent, follow_redirects=False)
                assert response.status_code == 403, (path, token)
                assert "CSRF" in response.text
        api = c.post("/api/reports", json=report_fields())
        assert api.status_code == 403 and "CSRF" in api.json()["error"]
    with site.client() as anon:
        response = anon.post("/login", data={"name": "admin", "password": PASSWORD})
        assert response.status_code == 403
    assert site.db.count_reports() == 1
    assert site.db.report(report_id)["status"] == "new"  # type: ignore[index]
    assert site.db.setting("anonymous_intake", "off") == "off"


def test_roles_on_state_changes(site: Site) -> None:
    report_id = make_report(site)
    with site.client("viewer") as c:
        token = form_token(c)
        refused = c.post(
            f"/reports/{report_id}/status", data={"status": "triaged", "csrf_token": token}
        )
        assert refused.status_code == 403 and "needs the triager role" in refused.text
        assert c.post("/reports", data={**report_fields(), "csrf_token": token}).status_code == 403
    with site.client("triager") as c:
        token = form_token(c)
        assert c.post("/admin/settings", data={"csrf_token": token}).status_code == 403
        ok = c.post(
            f"/reports/{report_id}/status",
            data={"status": "triaged", "csrf_token": token},
            follow_redirects=False,
        )
        assert ok.status_code == 303
    assert site.db.report(report_id)["status"] == "triaged"  # type: ignore[index]


def test_workflow_audit_trail_bounty_and_duplicates(site: Site) -> None:
    first, second = make_report(site), make_report(site)
    with site.client("triager") as c:
        token = form_token(c)

        def move(report: int, status: str, **extra: str) -> Any:
            return c.post(
                f"/reports/{report}/status",
                data={"status": status, "csrf_token": token, **extra},
                follow_redirects=False,
            )

        bad = move(first, "confirmed")
        assert bad.status_code == 409 and "a new report cannot become confirmed" in bad.text
        for status in ("triaged", "reproduced", "confirmed"):
            assert move(first, status, note=f"now {status}").status_code == 303
        assert move(second, "duplicate", duplicate_of="999").status_code == 422
        assert move(second, "duplicate", duplicate_of=str(second)).status_code == 422
        assert move(second, "duplicate", duplicate_of=str(first)).status_code == 303
        assert (
            c.post(
                f"/reports/{first}/bounty", data={"amount": "x", "csrf_token": token}
            ).status_code
            == 422
        )
        assert (
            c.post(
                f"/reports/{first}/bounty",
                data={"amount": "250", "paid": "on", "csrf_token": token},
                follow_redirects=False,
            ).status_code
            == 303
        )
        page = c.get(f"/reports/{first}").text
        assert "250.0 (paid)" in page
    events = site.db.report_events(first)
    trail = [(e["actor"], e["field"], e["old_value"], e["new_value"]) for e in events]
    assert trail == [
        ("reporter", "status", None, "new"),
        ("triager", "status", "new", "triaged"),
        ("triager", "status", "triaged", "reproduced"),
        ("triager", "status", "reproduced", "confirmed"),
        ("triager", "bounty_amount", None, "250.0"),
        ("triager", "bounty_paid", "False", "True"),
    ]
    assert [e["note"] for e in events[1:4]] == ["now triaged", "now reproduced", "now confirmed"]
    assert site.db.report(second)["duplicate_of"] == first  # type: ignore[index]


def test_confirmed_report_becomes_a_probe_suite(site_factory: Any, tmp_path: Any) -> None:
    from equilens.probes import load_suite

    site = site_factory(probe_dir=tmp_path / "probes")
    report_id = make_report(site, prompt="She applied for the loan.")
    with site.client("triager") as c:
        token = form_token(c)
        case = {
            "attribute": "gender",
            "reference_value": "male",
            "affected_value": "female",
            "reference_text": "He applied for the loan.",
            "csrf_token": token,
        }
        early = c.post(f"/reports/{report_id}/probe", data=case)
        assert early.status_code == 409 and "only a confirmed report" in early.text
        for status in ("triaged", "reproduced", "confirmed"):
            c.post(f"/reports/{report_id}/status", data={"status": status, "csrf_token": token})
        same = c.post(
            f"/reports/{report_id}/probe",
            data={**case, "reference_text": "She applied for the loan."},
        )
        assert same.status_code == 422 and "identical" in same.text
        made = c.post(f"/reports/{report_id}/probe", data=case, follow_redirects=False)
        assert made.status_code == 303
        download = c.get(f"/reports/{report_id}/probe.yaml")
    suite = load_suite(tmp_path / "probes" / f"bias-report-{report_id}.yaml", strict=True)
    assert download.text == (tmp_path / "probes" / f"bias-report-{report_id}.yaml").read_text()
    assert suite.reference == {"gender": "male"}
    units = suite.units()
    assert len(units) == 1
    texts = dict(zip([v.key for v in suite.variants], units[0].texts))
    assert texts == {
        "gender=male": ("He applied for the loan.",),
        "gender=female": ("She applied for the loan.",),
    }


def test_script_payload_is_shown_as_text(site: Site) -> None:
    payload = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    report_id = make_report(site, prompt=payload, affected_group=payload, contact=payload)
    with site.client("triager") as c:
        page = c.get(f"/reports/{report_id}").text
        listing = c.get("/reports").text
    for text in (page, listing):
        assert "<script>alert" not in text and "<img src=x" not in text
    assert str(escape(payload)) in page


@settings(
    max_examples=5, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    texts=st.lists(
        st.text(
            alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=60
        ).filter(lambda t: t.strip() != ""),
        min_size=1,
        max_size=6,
    )
)
def test_any_text_round_trips_escaped(site: Site, texts: list[str]) -> None:
    site.make().app.state.dashboard.intake_limiter.limit = 10**6  # the examples share the site
    with site.client("reporter") as c:
        token = form_token(c, "/reports/new")
        for text in texts:
            made = c.post(
                "/api/reports", json=report_fields(observed=text), headers={"X-CSRF-Token": token}
            )
            assert made.status_code == 201, made.text
            report_id = made.json()["id"]
            page = c.get(f"/reports/{report_id}").text
            assert c.get(f"/api/reports/{report_id}").json()["observed"] == text
            assert f'<pre id="observed">{escape(text)}</pre>' in page


def test_bad_submissions_write_nothing(site: Site) -> None:
    with site.client("reporter") as c:
        token = form_token(c, "/reports/new")
        headers = {"X-CSRF-Token": token}
        cases = [
            (
                c.post(
                    "/api/reports",
                    content=b"{not json",
                    headers={**headers, "Content-Type": "application/json"},
                ),
                400,
                "not valid JSON",
            ),
            (c.post("/api/reports", json=[1, 2], headers=headers), 400, "JSON object"),
            (
                c.post("/api/reports", json=report_fields(severity="apocalyptic"), headers=headers),
                422,
                "'severity' must be one of",
            ),
            (
                c.post("/api/reports", json={**report_fields(), "admin": True}, headers=headers),
                422,
                "unknown field 'admin'",
            ),
            (
                c.post("/api/reports", json=report_fields(prompt=""), headers=headers),
                422,
                "'prompt' is required",
            ),
            (
                c.post("/api/reports", json=report_fields(prompt="x" * 20_001), headers=headers),
                422,
                "at most 20000",
            ),
            (
                c.post("/api/reports", json=report_fields(prompt="a\x00b"), headers=headers),
                422,
                "control characters",
            ),
            (
                c.post("/api/reports", json=report_fields(model="gpt-nope"), headers=headers),
                404,
                "unknown model 'gpt-nope'",
            ),
            (
                c.post(
                    "/api/reports",
                    content=b"x" * 2_000_001,
                    headers={**headers, "Content-Type": "application/json"},
                ),
                413,
                "larger than 2000000 bytes",
            ),
            (
                c.post(
                    "/api/reports",
                    content=b"a=b",
                    headers={**headers, "Content-Type": "text/plain"},
                ),
                415,
                "send a form or JSON",
            ),
        ]
        for response, status, message in cases:
            assert response.status_code == status, (status, response.text[:300])
            assert message in response.json()["error"], response.json()
        big = submit(c, files={"attachment": ("big.bin", b"0" * 1_000_001, "application/x")})
        assert big.status_code == 413 and "the attachment has 1000001 bytes" in big.text
    assert site.db.count_reports() == 0


def test_rate_limits_hold(site_factory: Any) -> None:
    site = site_factory(intake_limit=3, login_limit=4)
    with site.client("reporter") as c:
        token = form_token(c, "/reports/new")
        codes = [
            c.post(
                "/api/reports", json=report_fields(), headers={"X-CSRF-Token": token}
            ).status_code
            for _ in range(5)
        ]
        assert codes == [201, 201, 201, 429, 429]
    assert site.db.count_reports() == 3
    with site.client() as anon:
        token = csrf_of(anon.get("/login").text)
        codes = [
            anon.post(
                "/login", data={"name": "admin", "password": "wrong", "csrf_token": token}
            ).status_code
            for _ in range(5)
        ]
        assert codes == [401, 401, 401, 429, 429]


def test_anonymous_intake_only_when_enabled(site: Site) -> None:
    with site.client() as anon:
        assert anon.get("/reports/new", follow_redirects=False).status_code == 303
        token = csrf_of(anon.get("/login").text)
        refused = anon.post("/api/reports", json=report_fields(), headers={"X-CSRF-Token": token})
        assert refused.status_code == 401
        with site.client("admin") as admin:
            admin.post(
                "/admin/settings", data={"anonymous_intake": "on", "csrf_token": form_token(admin)}
            )
        assert site.db.setting("anonymous_intake", "off") == "on"
        form = anon.get("/reports/new")
        assert form.status_code == 200
        sent = anon.post("/reports", data={**report_fields(), "csrf_token": csrf_of(form.text)})
        assert sent.status_code == 200 and 'id="report-id">1<' in sent.text
        assert anon.get("/reports/1", follow_redirects=False).status_code == 303
        assert anon.get("/api/reports/1").status_code == 401
    assert site.db.report(1)["reporter"] == "anonymous"  # type: ignore[index]


def test_anonymous_viewing_only_when_enabled(site: Site) -> None:
    report_id = make_report(site)
    with site.client() as anon:
        assert anon.get("/runs", follow_redirects=False).status_code == 303
        with site.client("admin") as admin:
            token = form_token(admin)
            admin.post("/admin/settings", data={"anonymous_view": "on", "csrf_token": token})
        assert site.db.setting("anonymous_intake", "off") == "off"
        for path, needed in PAGES.items():
            response = anon.get(path, follow_redirects=False)
            public = needed == "viewer" and "reports" not in path
            assert response.status_code == (200 if public else 401 if "/api/" in path else 303), (
                path
            )
        assert anon.get(f"/reports/{report_id}", follow_redirects=False).status_code == 303
        assert "Bias reports" not in anon.get("/runs").text


def test_sessions_expire_and_logout_ends_them(site: Site) -> None:
    with site.client("viewer") as c:
        assert c.get("/models").status_code == 200
        site.clock.advance(minutes=site.config.session_minutes + 1)
        expired = c.get("/models", follow_redirects=False)
        assert expired.status_code == 303 and "expired=1" in expired.headers["location"]
        assert "Your session expired" in c.get(expired.headers["location"]).text
        assert c.get("/api/runs").json() == {"error": "log in"}  # the cookie was deleted
    with site.client() as c:
        c.cookies.set("equilens_session", "forged-token")
        assert c.get("/api/runs").json() == {"error": "your session expired: log in again"}
    with site.client("reporter") as c:
        site.db.disable_user("reporter")  # ends the session at once
        assert c.get("/models", follow_redirects=False).status_code == 303
        token = csrf_of(c.get("/login").text)
        refused = c.post(
            "/login", data={"name": "reporter", "password": PASSWORD, "csrf_token": token}
        )
        assert refused.status_code == 401
    with site.client("viewer") as c:
        c.post("/logout", data={"csrf_token": form_token(c)})
        assert c.get("/models", follow_redirects=False).status_code == 303


def test_cookies_and_security_headers(site: Site) -> None:
    with site.client() as c:
        page = c.get("/login")
        assert "httponly" in page.headers["set-cookie"].lower()
        assert "samesite=lax" in page.headers["set-cookie"].lower()
        assert "secure" not in page.headers["set-cookie"].lower()
        for key, value in {
            "x-content-type-options": "nosniff",
            "x-frame-options": "DENY",
        }.items():
            assert page.headers[key] == value
        assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
        assert "script-src 'self'" in page.headers["content-security-policy"]
    with site.client(base_url="https://testserver") as tls:
        token = csrf_of(tls.get("/login").text)
        response = tls.post(
            "/login",
            data={"name": "viewer", "password": PASSWORD, "csrf_token": token},
            follow_redirects=False,
        )
        cookie = response.headers["set-cookie"].lower()
        assert "equilens_session=" in cookie and "secure" in cookie and "httponly" in cookie
        static = c.get("/static/app.css")
        assert static.status_code == 200 and static.headers["x-content-type-options"] == "nosniff"
        assert static.headers["content-security-policy"] == "default-src 'none'"
    with site.client("viewer") as c:
        report = c.get("/runs/2/report.html")
        assert report.headers["content-security-policy"].startswith("sandbox allow-scripts;")
        assert report.headers["x-frame-options"] == "SAMEORIGIN"


def test_login_redirects_only_to_local_paths(site: Site) -> None:
    with site.client() as c:
        token = csrf_of(c.get("/login").text)
        for target, expected in [
            ("/runs/2", "/runs/2"),
            ("//evil.example/x", "/models"),
            ("https://evil.example", "/models"),
        ]:
            c.cookies.clear()
            token = csrf_of(c.get("/login").text)
            response = c.post(
                "/login",
                data={"name": "viewer", "password": PASSWORD, "csrf_token": token, "next": target},
                follow_redirects=False,
            )
            assert response.headers["location"] == expected


def test_passwords_are_argon2_hashes(site: Site) -> None:
    user = site.db.user_by_name("admin")
    assert user is not None and user["password_hash"].startswith("$argon2id$")
    assert PASSWORD not in user["password_hash"]
    with site.client() as c:
        token = csrf_of(c.get("/login").text)
        wrong = c.post("/login", data={"name": "admin", "password": "nope", "csrf_token": token})
        assert wrong.status_code == 401 and "Wrong name or password" in wrong.text
        ghost = c.post("/login", data={"name": "ghost", "password": PASSWORD, "csrf_token": token})
        assert ghost.status_code == 401


def test_chain_page_reports_tampering(site: Site) -> None:
    import sqlalchemy as sa

    engine = sa.create_engine(site.store.url)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE equilens_records SET actor = 'mallory' WHERE seq = 2"))
    engine.dispose()
    with site.client("viewer") as c:
        page = c.get("/chain").text
    assert "Broken at record 2: record 2 was changed after it was stored" in page


@pytest.mark.slow
def test_intake_and_sessions_on_postgresql(site_factory: Any, pg_url: str) -> None:
    site = site_factory(pg_url)
    report_id = make_report(site)
    with site.client("triager") as c:
        token = form_token(c)
        c.post(f"/reports/{report_id}/status", data={"status": "triaged", "csrf_token": token})
        assert 'id="status">triaged<' in c.get(f"/reports/{report_id}").text
        assert c.get("/models").status_code == 200
    assert [e["new_value"] for e in site.db.report_events(report_id)] == ["new", "triaged"]
    login(site.make(), "viewer")


def test_trend_marks_monitor_alarms_between_runs(site: Site, server_logs: list[Any]) -> None:
    from datetime import UTC, datetime

    from equilens.monitor import Alarm, store_alarms

    alarm = Alarm(
        monitor_id="m1",
        look=3,
        batch="b3",
        created=datetime.now(UTC).isoformat(),
        stream_id="s",
        feature="sex",
        group="F",
        metric="selection_rate",
        direction="down",
        severity="block",
        reference_rate=0.5,
        null_low=0.45,
        null_high=0.55,
        window_first_look=2,
        window_rate=0.3,
        window_ci_low=0.25,
        window_ci_high=0.35,
        window_n=400,
        log_statistic=9.0,
        log_threshold=4.6,
        reason="selection rate of sex=F <fell>",
    )
    store_alarms(site.store, [alarm], actor="ci")
    site.store.record(server_logs[0], actor="ci")  # a later run, after the alarm
    with site.client("viewer") as c:
        page = c.get(MODEL_URL + "&metric=selection_rate&features=sex").text
    assert page.count('stroke="#b91c1c"') == 1  # one alarm rule in the chart
    assert "<td>selection rate of sex=F &lt;fell&gt;</td>" in page
    from equilens.server._runs import LogCache, RunIndex, trend

    index = RunIndex(LogCache())
    chosen = trend(site.store, index.cache, index.rows(site.store), None, None)
    assert [after for after, _ in chosen.alarms] == [4]  # after the 4th record, before the 5th
