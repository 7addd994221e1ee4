"""Champion / challenger on the German credit data: higher AUC, wider approval-rate gap?

Run from the repository root (needs scikit-learn)::

    python examples/champion_challenger/champion_challenger.py [--out out/champion_challenger]

* champion: logistic regression on five credit-history attributes (status of the checking
  account, duration, credit history, credit amount, savings);
* challenger: gradient boosting on every attribute, including ``sex``, ``personal_status`` and
  ``age``.

Both predict ``credit`` (good = approve) with out-of-fold probabilities of the same seeded
5-fold split, so every applicant is scored by models that never saw them, and approve at
P(good) >= 0.5. Each model is audited by sex and age band; the two runs are then compared on
the same 1,000 applicants (paired design).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import numpy as np

import equilens
from equilens.compare import RunComparison, compare, render_html, render_markdown
from equilens.data import load_german_credit
from equilens.results import AuditLog, write_log

CHAMPION_FEATURES = ["status", "duration", "credit_history", "credit_amount", "savings"]
SENSITIVE = ["sex", "age"]
BINS = {"age": [25, 45]}


def predictions(seed: int = 0) -> Any:
    """German credit with both models' out-of-fold scores and approvals, and a row id."""
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import GradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler

    df = load_german_credit()
    y = (df["credit"] == "good").astype(int).to_numpy()
    cv = StratifiedKFold(n_splits=5, shuffle=True, random_state=seed)

    def split(columns: list[str]) -> tuple[list[str], list[str]]:
        numeric = [c for c in columns if df[c].dtype.kind in "ifb"]
        return numeric, [c for c in columns if c not in numeric]

    num, cat = split(CHAMPION_FEATURES)
    champion = make_pipeline(
        ColumnTransformer(
            [("num", StandardScaler(), num), ("cat", OneHotEncoder(handle_unknown="ignore"), cat)]
        ),
        LogisticRegression(max_iter=2000),
    )
    every = [c for c in df.columns if c != "credit"]
    num_all, cat_all = split(every)
    challenger = make_pipeline(
        ColumnTransformer([("num", "passthrough", num_all), ("cat", OrdinalEncoder(), cat_all)]),
        GradientBoostingClassifier(random_state=seed),
    )
    out = df.copy()
    out.insert(0, "applicant_id", np.arange(1, len(df) + 1))
    for name, model, cols in (
        ("champion", champion, CHAMPION_FEATURES),
        ("challenger", challenger, every),
    ):
        score = cross_val_predict(model, df[cols], y, cv=cv, method="predict_proba")[:, 1]
        out[f"{name}_score"] = score
        out[f"{name}_pred"] = np.where(score >= 0.5, "good", "bad")
    return out


def audit_model(df: Any, name: str, bootstrap: int = 1000, seed: int = 0) -> AuditLog:
    """Audit one model's approvals by sex and age band."""
    return equilens.audit(
        df,
        y_true="credit",
        y_pred=f"{name}_pred",
        y_score=f"{name}_score",
        positive_label="good",
        sensitive_features=SENSITIVE,
        bins=BINS,
        bootstrap=bootstrap,
        seed=seed,
    )


def run(out: Path, bootstrap: int = 1000, seed: int = 0) -> RunComparison:
    """Predict, audit both models, compare them (paired) and write everything under ``out``."""
    df = predictions(seed)
    out.mkdir(parents=True, exist_ok=True)
    champion = audit_model(df, "champion", bootstrap, seed)
    challenger = audit_model(df, "challenger", bootstrap, seed)
    write_log(champion, out / "champion.json")
    write_log(challenger, out / "challenger.json")
    df.to_csv(out / "predictions.csv", index=False)
    result = compare(
        champion,
        challenger,
        data=df,
        ids="applicant_id",
        base_pred="champion_pred",
        candidate_pred="challenger_pred",
        base_score="champion_score",
        candidate_score="challenger_score",
        labels=("champion", "challenger"),
    )
    (out / "comparison.json").write_text(result.to_json() + "\n", encoding="utf-8")
    (out / "comparison.md").write_text(render_markdown(result), encoding="utf-8")
    (out / "comparison.html").write_text(render_html(result), encoding="utf-8")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="out/champion_challenger")
    parser.add_argument("--bootstrap", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    result = run(Path(args.out), args.bootstrap, args.seed)
    print("\n".join(result.headline))
    print(f"written to {args.out}/ (comparison.json, .md, .html; both audit logs; predictions)")


if __name__ == "__main__":
    main()
