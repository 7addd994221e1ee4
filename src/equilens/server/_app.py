"""The dashboard: a Starlette app over the run store, server-rendered with Jinja2.

Every route declares the least role it needs; :func:`_route` resolves who is asking (session
cookie), refuses what the role does not allow (401 to log in, 403 otherwise), checks the CSRF
token of every state-changing request, caps the body, and runs the handler's database work in
a worker thread. Pages escape everything (Jinja2 autoescape); audit reports and comparisons,
which carry their own inline script and style, are served as separate documents under a CSP
``sandbox`` (an opaque origin: no cookies, no requests) and shown in a sandboxed iframe.
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy.exc import SQLAlchemyError
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from equilens._redact import redact_text
from equilens.compare import compare_logs
from equilens.compare import render_html as render_comparison
from equilens.exceptions import EquilensError
from equilens.report import TrendSeries, is_bounded, metric_label, render_html, trend_chart
from equilens.server._auth import ROLES, Principal, check_csrf, has_role, login, new_token
from equilens.server._auth import token_hash as hash_token
from equilens.server._config import ServerConfig
from equilens.server._db import ServerDB, iso
from equilens.server._escalate import newest_policy, report_contacts, scan
from equilens.server._intake import (
    ESCALATING,
    SEVERITIES,
    STATUSES,
    TRANSITIONS,
    IntakeError,
    ProbeCase,
    check_submission,
    check_transition,
    probe_suite,
)
from equilens.server._ratelimit import RateLimiter
from equilens.server._runs import LogCache, RunIndex, RunRow, runs_by_model, trend
from equilens.server._webhooks import deliver, message_payload
from equilens.store import RunStore

__all__ = ["create_app"]

HERE = Path(__file__).resolve().parent
SESSION_COOKIE = "equilens_session"
ANON_COOKIE = "equilens_csrf"

#: Headers of every dashboard page.
PAGE_CSP = (
    "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-src 'self'; frame-ancestors 'none'; base-uri 'none'"
)
#: Headers of a stored report or comparison: its own inline style and script, no origin.
DOCUMENT_CSP = (
    "sandbox allow-scripts; default-src 'none'; style-src 'unsafe-inline'; "
    "script-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'; base-uri 'none'"
)
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
    "Cross-Origin-Opener-Policy": "same-origin",
}


class HttpError(Exception):
    """An error page (or JSON error) with a status and a one-line message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class Ctx:
    """One request as a handler sees it."""

    request: Request
    who: Principal
    form: dict[str, Any] = field(default_factory=dict)
    files: dict[str, tuple[str, str, bytes]] = field(default_factory=dict)
    json_body: Any = None
    cookies: list[tuple[str, str, int | None]] = field(default_factory=list)

    def query(self, name: str) -> str | None:
        return self.request.query_params.get(name)

    @property
    def wants_json(self) -> bool:
        return self.request.url.path.startswith("/api/")


class Dashboard:
    """State shared by the routes: the store, caches, limiters and templates."""

    def __init__(self, config: ServerConfig, store: RunStore) -> None:
        self.config = config
        self.store = store
        self.db = ServerDB(store, config.clock)
        self.index = RunIndex(LogCache())
        self.intake_limiter = RateLimiter(config.intake_limit, config.intake_window_seconds)
        self.login_limiter = RateLimiter(config.login_limit, config.login_window_seconds)
        self.env = Environment(
            loader=FileSystemLoader(str(HERE / "templates")),
            autoescape=select_autoescape(["html"], default=True),
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.filters["q"] = lambda v: quote(str(v), safe="")
        self.env.filters["metric"] = metric_label
        self.stop = threading.Event()

    # -- helpers --------------------------------------------------------------------------

    def page(self, ctx: Ctx, template: str, code: int = 200, **values: Any) -> HTMLResponse:
        html = self.env.get_template(template).render(
            who=ctx.who,
            roles=ROLES,
            has_role=has_role,
            anonymous_intake=self.anonymous_intake(),
            anonymous_view=self.anonymous_view(),
            **values,
        )
        return HTMLResponse(html, status_code=code)

    def anonymous_intake(self) -> bool:
        return self.db.setting("anonymous_intake", "off") == "on"

    def anonymous_view(self) -> bool:
        """Whether anonymous visitors may see models, runs, trends, diffs and the history
        check (never bias reports)."""
        return self.db.setting("anonymous_view", "off") == "on"

    def runs(self) -> list[RunRow]:
        return self.index.rows(self.store)

    def record_row(self, seq_text: str) -> RunRow:
        if not seq_text.isdigit():
            raise HttpError(404, f"no run record '{seq_text[:40]}'")
        for row in self.runs():
            if row.record.seq == int(seq_text):
                return row
        raise HttpError(404, f"no run record {int(seq_text)} in the run store")

    def models(self) -> dict[str, list[RunRow]]:
        return runs_by_model(self.runs())

    def secure(self, request: Request) -> bool:
        if self.config.secure_cookies is not None:
            return self.config.secure_cookies
        return request.url.scheme == "https"

    def principal(self, request: Request) -> tuple[Principal, bool]:
        """Who is asking; the flag says a session cookie was sent but is expired or unknown."""
        token = request.cookies.get(SESSION_COOKIE)
        anon_csrf = request.cookies.get(ANON_COOKIE) or ""
        if token:
            digest = hash_token(token)
            row = self.db.session(digest)
            if row is not None and not row["disabled"] and iso(self.db.clock()) < row["expires_at"]:
                return Principal(row["name"], row["role"], row["csrf"], digest), False
            return Principal(None, None, anon_csrf), True
        return Principal(None, None, anon_csrf), False


Handler = Callable[[Dashboard, Ctx], Response]


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


async def _read_body(request: Request, cap: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > cap):
        raise HttpError(413, f"the request body is larger than {cap} bytes")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > cap:
            raise HttpError(413, f"the request body is larger than {cap} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


async def _parse(request: Request, ctx: Ctx, cap: int) -> None:
    body = await _read_body(request, cap)
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind == "application/json":
        try:
            ctx.json_body = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
            raise HttpError(400, "the body is not valid JSON") from None
        return
    if not body and not kind:
        return  # an empty post (log out): an empty form
    if kind not in ("application/x-www-form-urlencoded", "multipart/form-data"):
        raise HttpError(415, "send a form or JSON (Content-Type)")
    request._body = body  # parsed below from the capped copy, not the socket
    try:
        form: FormData = await request.form(max_files=2, max_fields=40, max_part_size=cap)
    except Exception as exc:  # multipart parser errors have several types
        raise HttpError(400, f"the form cannot be read ({type(exc).__name__})") from None
    try:
        for key, value in form.multi_items():
            if isinstance(value, UploadFile):
                data = await value.read()
                if data or value.filename:
                    name = value.filename or "attachment"
                    ctx.files[key] = (name, value.content_type or "", data)
            else:
                ctx.form[key] = value
    finally:
        await form.close()


def _route(
    dash: Dashboard,
    handler: Handler,
    role: str | None,
    *,
    anonymous_if: Callable[[Dashboard], bool] | None = None,
) -> Callable[[Request], Awaitable[Response]]:
    """Wrap a handler: who asks, role check, CSRF on POST, capped body, errors as pages."""

    async def endpoint(request: Request) -> Response:
        who, expired = await run_in_threadpool(dash.principal, request)
        ctx = Ctx(request, who)
        new_anon = False
        if not who.csrf:
            ctx.who = who = Principal(None, None, new_token())
            new_anon = True
        try:
            if role is not None and who.role is None:
                allowed = anonymous_if is not None and await run_in_threadpool(anonymous_if, dash)
                if not allowed:
                    if ctx.wants_json or request.method != "GET":
                        raise HttpError(
                            401, "your session expired: log in again" if expired else "log in"
                        )
                    target = quote(
                        request.url.path + (f"?{request.url.query}" if request.url.query else "")
                    )
                    reason = "&expired=1" if expired else ""
                    response: Response = RedirectResponse(f"/login?next={target}{reason}", 303)
                    return _finish(dash, request, response, ctx, new_anon, expired)
            elif role is not None and not has_role(who, role):
                raise HttpError(403, f"this needs the {role} role; you are {who.role}")
            if request.method == "POST":
                await _parse(request, ctx, dash.config.max_body_bytes)
                given = request.headers.get("x-csrf-token") or ctx.form.get("csrf_token")
                if new_anon or not check_csrf(who.csrf, given):
                    raise HttpError(403, "missing or wrong CSRF token: reload the page and retry")
            response = await run_in_threadpool(handler, dash, ctx)
        except HttpError as exc:
            response = await run_in_threadpool(_error, dash, ctx, exc.status, exc.message)
        except IntakeError as exc:
            response = await run_in_threadpool(_error, dash, ctx, exc.status, str(exc))
        except EquilensError as exc:
            response = await run_in_threadpool(_error, dash, ctx, 422, str(exc))
        except SQLAlchemyError as exc:
            message = f"the run store failed ({type(exc).__name__}); retry later"
            response = await run_in_threadpool(_error, dash, ctx, 503, message)
        return _finish(dash, request, response, ctx, new_anon, expired)

    return endpoint


def _finish(
    dash: Dashboard, request: Request, response: Response, ctx: Ctx, new_anon: bool, expired: bool
) -> Response:
    secure = dash.secure(request)
    if new_anon:
        response.set_cookie(
            ANON_COOKIE, ctx.who.csrf, httponly=True, secure=secure, samesite="lax", path="/"
        )
    if expired:
        response.delete_cookie(
            SESSION_COOKIE, path="/", secure=secure, httponly=True, samesite="lax"
        )
    for name, value, age in ctx.cookies:
        if age == 0:
            response.delete_cookie(name, path="/", secure=secure, httponly=True, samesite="lax")
        else:
            response.set_cookie(
                name, value, max_age=age, httponly=True, secure=secure, samesite="lax", path="/"
            )
    for key, value in SECURITY_HEADERS.items():
        response.headers.setdefault(key, value)
    response.headers.setdefault("Content-Security-Policy", PAGE_CSP)
    response.headers.setdefault("X-Frame-Options", "DENY")
    return response


def _error(dash: Dashboard, ctx: Ctx, status: int, message: str) -> Response:
    message = redact_text(message)
    if ctx.wants_json:
        return JSONResponse({"error": message}, status_code=status)
    return dash.page(ctx, "error.html", code=status, status_code=status, message=message)


# -- pages ----------------------------------------------------------------------------------


def home(dash: Dashboard, ctx: Ctx) -> Response:
    return RedirectResponse("/models" if ctx.who.role or dash.anonymous_view() else "/login", 303)


def healthz(dash: Dashboard, ctx: Ctx) -> Response:
    return JSONResponse({"ok": True})


def login_page(dash: Dashboard, ctx: Ctx) -> Response:
    return dash.page(
        ctx, "login.html", next=_local(ctx.query("next")), expired=ctx.query("expired") == "1"
    )


def login_post(dash: Dashboard, ctx: Ctx) -> Response:
    wait = dash.login_limiter.allow(_client(ctx.request))
    if wait:
        raise HttpError(429, f"too many login attempts: wait {wait:.0f} s")
    name, password = str(ctx.form.get("name", "")), str(ctx.form.get("password", ""))
    lifetime = timedelta(minutes=dash.config.session_minutes)
    made = login(dash.db, name[:64], password, lifetime)
    if made is None:
        return dash.page(
            ctx,
            "login.html",
            code=401,
            next=_local(ctx.form.get("next")),
            failed=True,
            expired=False,
        )
    token, _csrf = made
    ctx.cookies.append((SESSION_COOKIE, token, dash.config.session_minutes * 60))
    return RedirectResponse(_local(ctx.form.get("next")) or "/models", 303)


def logout(dash: Dashboard, ctx: Ctx) -> Response:
    if ctx.who.token_hash:
        dash.db.delete_session(ctx.who.token_hash)
    ctx.cookies.append((SESSION_COOKIE, "", 0))
    return RedirectResponse("/login", 303)


def _local(target: Any) -> str:
    """A redirect target only when it is a path on this site."""
    text = str(target or "")
    if text.startswith("/") and not text.startswith("//") and "\\" not in text:
        return text
    return ""


def models_page(dash: Dashboard, ctx: Ctx) -> Response:
    return dash.page(ctx, "models.html", models=dash.models())


def runs_page(dash: Dashboard, ctx: Ctx) -> Response:
    rows = list(reversed(dash.runs()))[:500]
    return dash.page(ctx, "runs.html", rows=rows)


def runs_api(dash: Dashboard, ctx: Ctx) -> Response:
    return JSONResponse(
        [{**r.record.model_dump(), "model": r.model, "task": r.task} for r in dash.runs()]
    )


def model_page(dash: Dashboard, ctx: Ctx) -> Response:
    name = ctx.query("name") or ""
    models = dash.models()
    if name not in models:
        raise HttpError(404, f"no model '{name[:80]}' in the run store")
    runs = models[name]
    features = ctx.query("features")
    chosen = trend(
        dash.store,
        dash.index.cache,
        runs,
        ctx.query("metric"),
        features.split(",") if features else None,
    )
    seqs = sorted({p.seq for points in chosen.series.values() for p in points})
    position = {seq: i for i, seq in enumerate(seqs)}
    series = [
        TrendSeries(
            label=label,
            xs=[position[p.seq] for p in points],
            values=[p.value for p in points],
            lows=[p.ci_low for p in points],
            highs=[p.ci_high for p in points],
        )
        for label, points in chosen.series.items()
    ]
    marks = []
    for after, alarm in chosen.alarms:
        before = [position[s] for s in seqs if s <= after]
        x = (before[-1] + 0.5) if before else -0.5
        marks.append((min(x, max(len(seqs) - 1, 0) + 0.5), f"{alarm.created}: {alarm.reason}"))
    chart = (
        trend_chart(
            f"{metric_label(chosen.metric)} by {', '.join(chosen.features) or 'overall'} per run",
            series,
            [f"#{s}" for s in seqs],
            marks,
            bounded=is_bounded(chosen.metric),
        )
        if series
        else ""
    )
    return dash.page(
        ctx,
        "model.html",
        name=name,
        runs=list(reversed(runs)),
        trend=chosen,
        chart=chart,
        level=None,
    )


def run_page(dash: Dashboard, ctx: Ctx) -> Response:
    row = dash.record_row(ctx.request.path_params["seq"])
    decision = dash.store.get_decision(row.record.seq)
    return dash.page(ctx, "run.html", row=row, decision=decision)


def run_report(dash: Dashboard, ctx: Ctx) -> Response:
    row = dash.record_row(ctx.request.path_params["seq"])
    html = render_html(dash.index.cache.get(dash.store, row.record.log_hash))
    return HTMLResponse(html, headers=_document_headers())


def _document_headers() -> dict[str, str]:
    return {"Content-Security-Policy": DOCUMENT_CSP, "X-Frame-Options": "SAMEORIGIN"}


def _pair(dash: Dashboard, ctx: Ctx) -> tuple[RunRow, RunRow]:
    a, b = ctx.query("a") or "", ctx.query("b") or ""
    if not a or not b:
        raise HttpError(400, "choose two runs to compare (a and b)")
    return dash.record_row(a), dash.record_row(b)


def diff_page(dash: Dashboard, ctx: Ctx) -> Response:
    a, b = _pair(dash, ctx)
    return dash.page(ctx, "diff.html", a=a, b=b)


def diff_document(dash: Dashboard, ctx: Ctx) -> Response:
    a, b = _pair(dash, ctx)
    cache = dash.index.cache
    result = compare_logs(
        cache.get(dash.store, a.record.log_hash),
        cache.get(dash.store, b.record.log_hash),
        labels=(f"run #{a.record.seq}", f"run #{b.record.seq}"),
    )
    return HTMLResponse(render_comparison(result), headers=_document_headers())


def chain_page(dash: Dashboard, ctx: Ctx) -> Response:
    head = ctx.query("head") or None
    report = dash.store.verify(head=head[:64] if head else None)
    return dash.page(ctx, "chain.html", report=report, head=head)


# -- bias reports ---------------------------------------------------------------------------


def report_form(dash: Dashboard, ctx: Ctx) -> Response:
    return dash.page(
        ctx,
        "report_form.html",
        models=sorted(dash.models()),
        severities=SEVERITIES,
        values=dict(ctx.request.query_params),
    )


def _submit(dash: Dashboard, ctx: Ctx, raw: Any) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise HttpError(400, "send the report as a JSON object or a form")
    key = ctx.who.name or _client(ctx.request)
    wait = dash.intake_limiter.allow(f"{'user' if ctx.who.name else 'ip'}:{key}")
    if wait:
        raise HttpError(429, f"too many reports: wait {wait:.0f} s")
    fields = check_submission(raw, sorted(dash.models()))
    attachment = ctx.files.get("attachment")
    if attachment is not None:
        name, kind, data = attachment
        if len(data) > dash.config.max_attachment_bytes:
            raise HttpError(
                413,
                f"the attachment has {len(data)} bytes; at most {dash.config.max_attachment_bytes}",
            )
        fields.update(attachment_name=name[:200], attachment_type=kind[:100], attachment=data)
    report_id = dash.db.insert_report(fields, ctx.who.label)
    if fields["severity"] in ESCALATING:
        _escalate_report(dash, report_id, fields)
    return {"id": report_id, "status": "new"}


def _escalate_report(dash: Dashboard, report_id: int, fields: dict[str, Any]) -> None:
    policy = dash.config.escalation_policy or newest_policy(dash.db)
    payload = message_payload(
        f"equilens bias report #{report_id} ({fields['severity']}) on model {fields['model']}",
        [f"affected group: {fields['affected_group']}"],
    )
    for contact in report_contacts(policy):
        threading.Thread(
            target=deliver,
            args=(dash.db, f"report:{report_id}", contact, payload, dash.config.webhooks),
            daemon=True,
        ).start()


def _intake_open(dash: Dashboard) -> bool:
    return dash.anonymous_intake()


def _view_open(dash: Dashboard) -> bool:
    return dash.anonymous_view()


def report_post(dash: Dashboard, ctx: Ctx) -> Response:
    raw = {k: v for k, v in ctx.form.items() if k != "csrf_token"}
    made = _submit(dash, ctx, raw)
    if has_role(ctx.who, "viewer"):
        return RedirectResponse(f"/reports/{made['id']}", 303)
    return dash.page(ctx, "thanks.html", report_id=made["id"])


def report_api_post(dash: Dashboard, ctx: Ctx) -> Response:
    return JSONResponse(_submit(dash, ctx, ctx.json_body), status_code=201)


def csrf_api(dash: Dashboard, ctx: Ctx) -> Response:
    return JSONResponse({"csrf": ctx.who.csrf, "user": ctx.who.name, "role": ctx.who.role})


def reports_page(dash: Dashboard, ctx: Ctx) -> Response:
    status = ctx.query("status")
    if status and status not in STATUSES:
        raise HttpError(400, f"unknown status '{status[:40]}'")
    return dash.page(
        ctx, "reports.html", reports=dash.db.reports(status), status=status, statuses=STATUSES
    )


def _report(dash: Dashboard, ctx: Ctx) -> dict[str, Any]:
    text = str(ctx.request.path_params["report_id"])
    found = dash.db.report(int(text)) if text.isdigit() and len(text) < 12 else None
    if found is None:
        raise HttpError(404, f"no bias report '{text[:40]}'")
    return found


def report_page(dash: Dashboard, ctx: Ctx) -> Response:
    found = _report(dash, ctx)
    return dash.page(
        ctx,
        "report.html",
        r=found,
        events=dash.db.report_events(found["id"]),
        next_statuses=TRANSITIONS.get(found["status"], ()),
    )


def report_api_get(dash: Dashboard, ctx: Ctx) -> Response:
    found = _report(dash, ctx)
    found.pop("attachment", None)
    if not has_role(ctx.who, "triager"):
        found.pop("contact", None)
    return JSONResponse({**found, "events": dash.db.report_events(found["id"])})


def report_attachment(dash: Dashboard, ctx: Ctx) -> Response:
    found = _report(dash, ctx)
    if found["attachment"] is None:
        raise HttpError(404, "this report has no attachment")
    return Response(
        bytes(found["attachment"]),
        media_type="application/octet-stream",
        headers={
            "Content-Disposition": f'attachment; filename="report-{found["id"]}.bin"',
            "Content-Security-Policy": "default-src 'none'; sandbox",
        },
    )


def report_status(dash: Dashboard, ctx: Ctx) -> Response:
    found = _report(dash, ctx)
    new = str(ctx.form.get("status", ""))
    check_transition(found["status"], new)
    changes: dict[str, Any] = {"status": new}
    if new == "duplicate":
        other = str(ctx.form.get("duplicate_of", ""))
        if not other.isdigit() or int(other) == found["id"] or dash.db.report(int(other)) is None:
            raise IntakeError("a duplicate names another existing report ('duplicate_of')")
        changes["duplicate_of"] = int(other)
    note = str(ctx.form.get("note", ""))[:2000] or None
    dash.db.change_report(found["id"], changes, ctx.who.label, note)
    return RedirectResponse(f"/reports/{found['id']}", 303)


def report_bounty(dash: Dashboard, ctx: Ctx) -> Response:
    found = _report(dash, ctx)
    text = str(ctx.form.get("amount", "")).strip()
    try:
        amount = float(text) if text else None
    except ValueError:
        raise IntakeError("the bounty amount must be a number") from None
    if amount is not None and not 0 <= amount <= 1e9:
        raise IntakeError("the bounty amount must be between 0 and 1e9")
    paid = ctx.form.get("paid") == "on"
    if paid and amount is None:
        raise IntakeError("a paid bounty needs an amount")
    dash.db.change_report(
        found["id"], {"bounty_amount": amount, "bounty_paid": paid}, ctx.who.label, None
    )
    return RedirectResponse(f"/reports/{found['id']}", 303)


def report_probe(dash: Dashboard, ctx: Ctx) -> Response:
    found = _report(dash, ctx)
    if found["status"] not in ("confirmed", "fixed"):
        raise IntakeError("only a confirmed report becomes a probe case", 409)
    f = ctx.form
    case = ProbeCase(
        attribute=str(f.get("attribute", "")).strip(),
        reference_value=str(f.get("reference_value", "")),
        affected_value=str(f.get("affected_value", "") or found["affected_group"]),
        reference_text=str(f.get("reference_text", "")),
        affected_text=str(f.get("affected_text", "") or found["prompt"]),
    )
    text, _suite = probe_suite(found["id"], found["model"], case)
    if dash.config.probe_dir is not None:
        target = dash.config.probe_dir / f"bias-report-{found['id']}.yaml"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    dash.db.change_report(found["id"], {"probe_yaml": text}, ctx.who.label, "made a probe case")
    return RedirectResponse(f"/reports/{found['id']}", 303)


def report_probe_yaml(dash: Dashboard, ctx: Ctx) -> Response:
    found = _report(dash, ctx)
    if not found["probe_yaml"]:
        raise HttpError(404, "this report has no probe case yet")
    return Response(
        found["probe_yaml"],
        media_type="application/yaml",
        headers={"Content-Disposition": f'attachment; filename="bias-report-{found["id"]}.yaml"'},
    )


# -- admin ----------------------------------------------------------------------------------


def admin_page(dash: Dashboard, ctx: Ctx) -> Response:
    return dash.page(ctx, "admin.html", users=dash.db.list_users(), deliveries=dash.db.deliveries())


def admin_settings(dash: Dashboard, ctx: Ctx) -> Response:
    for key in ("anonymous_intake", "anonymous_view"):
        dash.db.set_setting(key, "on" if ctx.form.get(key) == "on" else "off")
    return RedirectResponse("/admin", 303)


def create_app(config: ServerConfig | None = None, *, store: RunStore | None = None) -> Starlette:
    """The dashboard app over the run store ``config.store_url`` (or an open ``store``).

    Raises
    ------
    InvalidInputError
        When the store cannot be opened.
    """
    config = config or ServerConfig()
    opened = store or RunStore(config.store_url)
    dash = Dashboard(config, opened)

    def r(
        path: str,
        handler: Handler,
        role: str | None,
        methods: tuple[str, ...] = ("GET",),
        anonymous_if: Callable[[Dashboard], bool] | None = None,
    ) -> Route:
        return Route(
            path, _route(dash, handler, role, anonymous_if=anonymous_if), methods=list(methods)
        )

    routes = [
        r("/", home, None),
        r("/healthz", healthz, None),
        r("/login", login_page, None),
        r("/login", login_post, None, ("POST",)),
        r("/logout", logout, None, ("POST",)),
        r("/models", models_page, "viewer", anonymous_if=_view_open),
        r("/model", model_page, "viewer", anonymous_if=_view_open),
        r("/runs", runs_page, "viewer", anonymous_if=_view_open),
        r("/runs/{seq}", run_page, "viewer", anonymous_if=_view_open),
        r("/runs/{seq}/report.html", run_report, "viewer", anonymous_if=_view_open),
        r("/diff", diff_page, "viewer", anonymous_if=_view_open),
        r("/diff.html", diff_document, "viewer", anonymous_if=_view_open),
        r("/chain", chain_page, "viewer", anonymous_if=_view_open),
        r("/reports", reports_page, "viewer"),
        r("/reports", report_post, "reporter", ("POST",), _intake_open),
        r("/reports/new", report_form, "reporter", anonymous_if=_intake_open),
        r("/reports/{report_id}", report_page, "viewer"),
        r("/reports/{report_id}/attachment", report_attachment, "triager"),
        r("/reports/{report_id}/status", report_status, "triager", ("POST",)),
        r("/reports/{report_id}/bounty", report_bounty, "triager", ("POST",)),
        r("/reports/{report_id}/probe", report_probe, "triager", ("POST",)),
        r("/reports/{report_id}/probe.yaml", report_probe_yaml, "viewer"),
        r("/admin", admin_page, "admin"),
        r("/admin/settings", admin_settings, "admin", ("POST",)),
        r("/api/csrf", csrf_api, None),
        r("/api/runs", runs_api, "viewer", anonymous_if=_view_open),
        r("/api/reports", report_api_post, "reporter", ("POST",), _intake_open),
        r("/api/reports/{report_id}", report_api_get, "viewer"),
        Mount("/static", app=_with_headers(StaticFiles(directory=str(HERE / "static")))),
    ]

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        worker = None
        if config.scan_seconds > 0:
            worker = threading.Thread(target=_scan_loop, args=(dash,), daemon=True)
            worker.start()
        try:
            yield
        finally:
            dash.stop.set()
            if worker is not None:
                worker.join(timeout=5)
            if store is None:
                opened.close()

    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.dashboard = dash
    return app


def _with_headers(app: ASGIApp) -> ASGIApp:
    """``app`` with the security headers on every response (the static files)."""
    extra = [(k.lower().encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]
    extra.append((b"content-security-policy", b"default-src 'none'"))

    async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await app(scope, receive, send_with_headers)

    return wrapped


def _scan_loop(dash: Dashboard) -> None:
    while not dash.stop.is_set():
        with contextlib.suppress(EquilensError, SQLAlchemyError, OSError):
            scan(dash.db, dash.config.webhooks)
        dash.stop.wait(dash.config.scan_seconds)
