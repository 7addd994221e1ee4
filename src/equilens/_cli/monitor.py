"""``equilens monitor``: drift and always-valid alarms over batches of predictions.

``init`` reduces a reference file and writes the state directory; ``ingest`` adds one batch
(call it once per batch, e.g. daily from a scheduler), prints drift and new alarms, stores the
alarms in the run store and exits 1 when a new alarm has blocking severity; ``status`` prints
a table of groups x looks.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from equilens._cli._options import output_dir, output_file, parse_bins, split_list
from equilens._cli.gate import _as_of, actor_name
from equilens._files import write_text_atomic
from equilens.exceptions import InvalidParameterError
from equilens.report import print_look, print_monitor_status, terminal


def register(sub: Any) -> None:
    """Add the ``monitor`` subcommand and its ``init``, ``ingest`` and ``status``."""
    p = sub.add_parser(
        "monitor",
        help="monitor drift and per-group rates over batches (alarms with controlled false "
        "alarm probability)",
        description="Monitor a model over time. 'init' fixes a reference; 'ingest' adds one "
        "batch and exits 1 when a new alarm of blocking severity fires (0 otherwise, 2 bad "
        "input); 'status' shows groups x looks. See docs/monitoring.md.",
    )
    msub = p.add_subparsers(dest="monitor_command", metavar="ACTION")
    p.set_defaults(handler=_no_action)

    init = msub.add_parser("init", help="start a monitor from a reference file")
    init.add_argument("--reference", required=True, metavar="DATA", help="CSV or Parquet file")
    init.add_argument("--y-true", required=True, help="column of true labels")
    init.add_argument("--y-pred", required=True, help="column of predicted labels")
    init.add_argument("--y-score", help="column of scores in [0, 1] (enables score drift)")
    init.add_argument("--sensitive", required=True, help="sensitive feature columns: A,B[,C]")
    init.add_argument("--positive-label", help="the positive (favourable) label value")
    init.add_argument(
        "--bins",
        action="append",
        metavar="FEATURE=E1,E2",
        help="cut a numeric sensitive feature into bands at these edges (repeatable)",
    )
    init.add_argument("--features", help="further columns tracked for drift: A,B")
    init.add_argument(
        "--metrics",
        help="rates monitored per group (default selection_rate, true_positive_rate, "
        "false_positive_rate, accuracy_score)",
    )
    init.add_argument(
        "--alpha",
        type=float,
        default=0.05,
        help="family-wise false alarm probability over the horizon (default 0.05)",
    )
    init.add_argument(
        "--horizon", type=int, default=100, help="looks the guarantee covers (default 100)"
    )
    init.add_argument(
        "--min-shift",
        type=float,
        default=0.05,
        help="rate shift the detector is tuned for (default 0.05)",
    )
    init.add_argument(
        "--tolerance",
        type=float,
        default=0.0,
        help="rate shifts within the reference interval widened by this never alarm (default 0)",
    )
    init.add_argument(
        "--min-group-size",
        type=int,
        default=30,
        help="rates with fewer reference rows in the denominator are not monitored (default 30)",
    )
    init.add_argument(
        "--severity",
        choices=("info", "warn", "block"),
        default="warn",
        help="severity of alarms no policy rule maps (default warn)",
    )
    init.add_argument("--policy", metavar="POLICY.yaml", help="policy: rules, escalation, retrain")
    init.add_argument("--state", required=True, metavar="DIR", help="state directory")
    init.add_argument("--force", action="store_true", help="replace an existing monitor in DIR")
    init.add_argument("--quiet", action="store_true", help="print nothing but errors")
    init.set_defaults(handler=run_init)

    ing = msub.add_parser("ingest", help="add one batch; exit 1 on a new blocking alarm")
    ing.add_argument("batch", metavar="BATCH", help="CSV or Parquet file with the same columns")
    ing.add_argument("--state", required=True, metavar="DIR", help="state directory")
    ing.add_argument("--label", help="name of the batch (default: the file name)")
    ing.add_argument(
        "--store",
        metavar="URL",
        help="run store for alarms: sqlite:///PATH, postgresql+psycopg://..., or a path "
        "(default $EQUILENS_STORE, else .equilens/history.db in the project root)",
    )
    ing.add_argument("--no-store", action="store_true", help="do not store alarms")
    ing.add_argument("--actor", help="who ran it (default $EQUILENS_ACTOR, else $USER)")
    ing.add_argument("--allow-duplicate", action="store_true", help="accept a batch seen before")
    ing.add_argument("--as-of", metavar="YYYY-MM-DD", help="date for policy exemptions")
    ing.add_argument("--json", dest="json_out", metavar="FILE", help="write the look as JSON")
    ing.add_argument("--quiet", action="store_true", help="print only alarms")
    ing.set_defaults(handler=run_ingest)

    st = msub.add_parser("status", help="table of groups x looks")
    st.add_argument("--state", required=True, metavar="DIR", help="state directory")
    st.add_argument("--looks", type=int, default=6, help="latest looks shown (default 6)")
    st.add_argument("--json", dest="json_out", metavar="FILE", help="write the state as JSON")
    st.set_defaults(handler=run_status)


def _no_action(args: argparse.Namespace) -> int:
    raise InvalidParameterError("equilens monitor needs an action: init, ingest or status")


def run_init(args: argparse.Namespace) -> int:
    """Run ``equilens monitor init``."""
    from equilens.monitor import DEFAULT_METRICS, STATE_FILE, create_monitor, locked, save_state
    from equilens.policy import load_policy

    output_dir(args.state, "--state")
    if (Path(args.state) / STATE_FILE).exists() and not args.force:
        raise InvalidParameterError(
            f"--state {args.state} already holds a monitor (pass --force to replace it)"
        )
    sensitive = split_list(args.sensitive)
    if not sensitive:
        raise InvalidParameterError("--sensitive needs at least one column name")
    policy = load_policy(args.policy) if args.policy else None
    state = create_monitor(
        args.reference,
        y_true=args.y_true,
        y_pred=args.y_pred,
        y_score=args.y_score,
        sensitive=sensitive,
        positive_label=args.positive_label,
        bins=parse_bins(args.bins) or None,
        features=split_list(args.features),
        metrics=split_list(args.metrics) or DEFAULT_METRICS,
        alpha=args.alpha,
        horizon=args.horizon,
        min_shift=args.min_shift,
        tolerance=args.tolerance,
        min_group_size=args.min_group_size,
        default_severity=args.severity,
        policy=policy,
    )
    with locked(args.state):
        path = save_state(state, args.state)
    if not args.quiet:
        c = state.config
        sys.stdout.write(
            f"monitor {state.monitor_id}: {len(state.streams)} streams (groups x rates), "
            f"{len(state.unmonitored)} left out (too few reference rows); family-wise false "
            f"alarm probability <= {c.alpha} over {c.horizon} looks\nstate written to {path}\n"
        )
    return 0


def run_ingest(args: argparse.Namespace) -> int:
    """Run ``equilens monitor ingest``."""
    from equilens.monitor import ingest_batch, load_state, locked, save_state, store_alarms

    today = _as_of(args.as_of)
    output_dir(args.state, "--state")
    output_file(args.json_out, "--json")
    with locked(args.state):
        state = load_state(args.state)
        state, result = ingest_batch(
            state,
            args.batch,
            batch=args.label or Path(args.batch).name,
            allow_duplicate=args.allow_duplicate,
            today=today,
        )
        stored = ""
        if result.new_alarms and not args.no_store:
            from equilens.store import RunStore

            with RunStore(args.store) as store:
                n = store_alarms(store, result.new_alarms, actor=actor_name(args.actor))
                stored = f"{n} alarm(s) stored in {store!r}"
        save_state(state, args.state)
    print_look(result, terminal(), quiet=args.quiet)
    look = result.look
    if stored and not args.quiet:
        sys.stdout.write(stored + "\n")
    if args.json_out:
        write_text_atomic(args.json_out, look.model_dump_json(indent=1) + "\n")
    return 1 if result.blocking else 0


def run_status(args: argparse.Namespace) -> int:
    """Run ``equilens monitor status``."""
    from equilens.monitor import load_state

    if args.looks < 1:
        raise InvalidParameterError(f"--looks must be at least 1, got {args.looks}")
    output_file(args.json_out, "--json")
    state = load_state(args.state)
    print_monitor_status(state, args.looks, terminal())
    if args.json_out:
        write_text_atomic(args.json_out, json.dumps(state.model_dump(mode="json"), indent=1) + "\n")
    return 0
