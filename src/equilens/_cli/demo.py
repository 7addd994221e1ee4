"""``equilens demo``: audit real public data shipped by registry packages, offline.

Two audits:

* COMPAS (ProPublica's two-year data, their published filter, 6,172 defendants): the COMPAS
  "Medium"/"High" risk label against re-arrest within two years, by race, sex and age category
  and their intersections.
* German credit (Statlog, 1,000 applicants): a logistic-regression credit model's approvals
  (out-of-fold predictions of 5-fold cross-validation, seeded), by sex and age band. Needs
  scikit-learn (``pip install equilens[sklearn]``).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from equilens._cli._options import check_draws, output_dir
from equilens._cli._table import progress_printer
from equilens._cli.audit import write_outputs
from equilens.audit import audit
from equilens.data import BinSpec, load_compas, load_german_credit
from equilens.exceptions import InvalidInputError


def register(sub: Any) -> None:
    """Add the ``demo`` subcommand."""
    p = sub.add_parser(
        "demo",
        help="audit shipped real data (COMPAS, German credit), offline",
        description="Audit the ProPublica COMPAS data (risk label vs two-year recidivism by "
        "race, sex, age category and intersections) and a credit model on the German credit "
        "data (approvals by sex and age band). Writes one folder per audit under --out.",
    )
    p.add_argument("--out", default="out/demo", help="output directory (default out/demo)")
    p.add_argument("--bootstrap", type=int, default=1000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--only", choices=("compas", "german_credit"), help="run just one of the two audits"
    )
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(handler=run)


def credit_predictions(seed: int = 0) -> Any:
    """German credit with out-of-fold approval scores from a logistic-regression model.

    The model sees every attribute except ``sex`` and ``personal_status`` (it does see age, as
    many real scorecards do). Predictions are out-of-fold (5-fold stratified CV), so every
    applicant is scored by a model that did not train on them. Approve when score >= 0.5.
    """
    try:
        from sklearn.compose import ColumnTransformer
        from sklearn.linear_model import LogisticRegression
        from sklearn.model_selection import StratifiedKFold, cross_val_predict
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import OneHotEncoder, StandardScaler
    except ImportError:
        raise InvalidInputError(
            "the German credit demo trains a model with scikit-learn; install it with "
            "`pip install 'equilens[sklearn]'` or run `equilens demo --only compas`"
        ) from None
    df = load_german_credit()
    features = df.drop(columns=["credit", "sex", "personal_status"])
    numeric = [c for c in features.columns if features[c].dtype.kind in "if"]
    categorical = [c for c in features.columns if c not in numeric]
    model = make_pipeline(
        ColumnTransformer(
            [
                ("num", StandardScaler(), numeric),
                ("cat", OneHotEncoder(handle_unknown="ignore"), categorical),
            ]
        ),
        LogisticRegression(max_iter=2000),
    )
    y = (df["credit"] == "good").astype(int)
    cv = StratifiedKFold(n_splits=5, shuffle=True, random_state=seed)
    proba = cross_val_predict(model, features, y, cv=cv, method="predict_proba")[:, 1]
    df["approval_score"] = proba
    df["decision"] = ["good" if p >= 0.5 else "bad" for p in proba]
    return df


def run(args: argparse.Namespace) -> int:
    """Run the demo audits."""
    out = output_dir(args.out, "--out")
    check_draws(args.bootstrap)
    jobs = ("compas", "german_credit") if args.only is None else (args.only,)
    for name in jobs:
        if not args.quiet:
            sys.stdout.write(f"\n=== {TITLES[name]} ===\n")
        with progress_printer(args.quiet) as progress:
            if name == "compas":
                log = audit(
                    load_compas(),
                    y_true="two_year_recid",
                    y_pred="high_risk",
                    y_score="risk_score",
                    sensitive_features=["race", "sex", "age_cat"],
                    intersections=True,
                    reference={"race": "Caucasian", "sex": "Male", "age_cat": "25 - 45"},
                    bootstrap=args.bootstrap,
                    seed=args.seed,
                    progress=progress,
                )
            else:
                log = audit(
                    credit_predictions(args.seed),
                    y_true="credit",
                    y_pred="decision",
                    y_score="approval_score",
                    positive_label="good",
                    sensitive_features=["sex", "age"],
                    bins={"age": BinSpec((25.0,), ("under 25", "25 and over"))},
                    intersections=True,
                    reference={"sex": "male", "age": "25 and over"},
                    bootstrap=args.bootstrap,
                    seed=args.seed,
                    progress=progress,
                )
        write_outputs(log, str(out / name), args.quiet, ("json", "html", "markdown"))
    return 0


TITLES = {
    "compas": "COMPAS risk labels vs two-year recidivism, 6,172 defendants",
    "german_credit": "German credit: a logistic regression's approvals, 1,000 applicants",
}
