"""``equilens gate``: judge an audit log against a policy; exit 0 pass or warn, 1 block.

Thin on purpose: load the log and the policy, call the pure ``decide``, print, write the
requested reports, store the decision with the run, and set the exit code.
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import date
from pathlib import Path
from typing import Any

from equilens._cli._options import output_file
from equilens._files import write_text_atomic
from equilens.exceptions import InvalidParameterError, LogFormatError
from equilens.policy import (
    Policy,
    decide,
    load_policy,
    missing_section,
    to_junit,
    to_markdown,
)
from equilens.report import print_decision, terminal
from equilens.results import AuditLog, read_log


def register(sub: Any) -> None:
    """Add the ``gate`` subcommand."""
    p = sub.add_parser(
        "gate",
        help="decide whether an audit passes a policy (exit 0 pass/warn, 1 block)",
        description="Judge an audit log against a policy file. Exit 0 when the audit passes "
        "the policy (warnings included, unless the policy sets block_on_warn), 1 when it is "
        "blocked, 2 for bad input (unreadable log or policy, bad option, store unavailable). "
        "Unless --dry-run, the audit and the decision are stored in the run store.",
    )
    p.add_argument("audit", metavar="AUDIT.json", help="audit log written by equilens audit")
    p.add_argument("--policy", required=True, metavar="POLICY.yaml", help="policy file")
    p.add_argument("--junit", metavar="FILE", help="write the decision as JUnit XML")
    p.add_argument("--markdown", metavar="FILE", help="write Markdown for a pull-request comment")
    p.add_argument("--json", dest="json_out", metavar="FILE", help="write the decision as JSON")
    p.add_argument(
        "--store",
        metavar="URL",
        help="run store: sqlite:///PATH, postgresql+psycopg://..., or a file path (default "
        "$EQUILENS_STORE, else .equilens/history.db in the project root)",
    )
    p.add_argument("--actor", help="who ran the gate (default $EQUILENS_ACTOR, else $USER)")
    p.add_argument(
        "--as-of",
        metavar="YYYY-MM-DD",
        help="date exemption expiry is checked against (default today)",
    )
    p.add_argument(
        "--dry-run",
        action="store_true",
        help="decide and report, but store nothing (the exit code still follows the verdict)",
    )
    p.add_argument(
        "--mitigation-report",
        metavar="FILE",
        help="mitigation report (mitigation.json or memo.html of equilens mitigate) attached "
        "for rules with require_review: mitigation",
    )
    p.add_argument(
        "--agreement",
        metavar="FILE",
        help="agreement.json of equilens agreement, read by the policy's agreement: rules "
        "(required when the policy has any)",
    )
    p.add_argument("--quiet", action="store_true", help="print only the verdict line")
    p.set_defaults(handler=run)


def actor_name(given: str | None) -> str:
    """``--actor``, else ``$EQUILENS_ACTOR``, ``$USER``, ``$LOGNAME``, else ``unknown``."""
    for value in (given, *(os.environ.get(k) for k in ("EQUILENS_ACTOR", "USER", "LOGNAME"))):
        if value and value.strip():
            return value.strip()
    return "unknown"


def _as_of(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidParameterError(
            f"--as-of expects a date as YYYY-MM-DD, got '{value}'"
        ) from None


def run(args: argparse.Namespace) -> int:
    """Run ``equilens gate``."""
    for value, option in (
        (args.junit, "--junit"),
        (args.markdown, "--markdown"),
        (args.json_out, "--json"),
    ):
        output_file(value, option)
    log = read_log(args.audit)
    policy = load_policy(args.policy)
    problem = missing_section(log, policy)
    if problem is not None:
        raise LogFormatError(f"{args.audit}: {problem}")
    attachments = {}
    if args.mitigation_report:
        from equilens.mitigate import check_mitigation_report

        attachments["mitigation"] = check_mitigation_report(args.mitigation_report)
    return apply_policy(
        log,
        policy,
        today=_as_of(args.as_of),
        junit=args.junit,
        markdown=args.markdown,
        json_out=args.json_out,
        store=None if args.dry_run else (args.store or ""),
        actor=args.actor,
        quiet=args.quiet,
        attachments=attachments,
        agreement=agreement_document(args.agreement, policy, args.policy),
    )


def agreement_document(
    path: str | None, policy: Policy, policy_path: str | Path
) -> dict[str, Any] | None:
    """The ``--agreement`` document, read when given; a policy with agreement rules needs one."""
    if path is None:
        if policy.agreement:
            ids = ", ".join(r.id for r in policy.agreement)
            raise InvalidParameterError(
                f"--agreement: {policy_path} has agreement rules ({ids}); give the agreement.json "
                "of equilens agreement"
            )
        return None
    from equilens.agreement import read_agreement

    return read_agreement(path)


def apply_policy(
    log: AuditLog,
    policy: Policy,
    *,
    today: date | None = None,
    junit: str | Path | None = None,
    markdown: str | Path | None = None,
    json_out: str | Path | None = None,
    store: str | None = "",
    actor: str | None = None,
    quiet: bool = False,
    attachments: dict[str, str] | None = None,
    agreement: dict[str, Any] | None = None,
) -> int:
    """Decide, print, write the requested files and store the run; returns the exit code.

    ``store`` is a store URL, ``""`` for the default store, or ``None`` to store nothing.
    Shared by ``equilens gate`` and ``equilens audit SPEC`` (a spec with a ``policy:``).
    """
    decision = decide(log, policy, today=today, attachments=attachments, agreement=agreement)
    console = terminal()
    print_decision(decision, console, quiet=quiet)
    for review in decision.reviews_required:
        sys.stdout.write(f"review: {review.message}\n")
    if junit:
        write_text_atomic(junit, to_junit(decision))
    if markdown:
        write_text_atomic(markdown, to_markdown(decision))
    if json_out:
        write_text_atomic(json_out, decision.to_json() + "\n")
    if store is not None:
        from equilens.store import RunStore

        with RunStore(store or None) as opened:
            record = opened.record(log, actor=actor_name(actor), decision=decision, policy=policy)
            where = repr(opened)
        if not quiet:
            sys.stdout.write(
                f"stored as record {record.seq} in {where} (record hash "
                f"{record.record_hash[:16]})\n"
            )
    return 1 if decision.verdict == "block" else 0
