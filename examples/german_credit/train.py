"""Train a credit-scoring model on the shipped German credit data and save it with skops.

Run from anywhere::

    python examples/german_credit/train.py

It writes ``model.skops`` next to this file. The model is a scikit-learn pipeline (one-hot
encoding of the categorical attributes, standardised numeric attributes, logistic regression)
that predicts ``credit`` ("good" / "bad"). It does not read ``sex`` or ``personal_status``;
it does read ``age``, as most published models on these data do.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd
import skops.io as sio
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from equilens.data import load_german_credit

HERE = Path(__file__).resolve().parent
MODEL_PATH = HERE / "model.skops"

CATEGORICAL = [
    "status",
    "credit_history",
    "purpose",
    "savings",
    "present_employment",
    "other_debtors",
    "property",
    "installment_plans",
    "housing",
    "job",
]
NUMERIC = [
    "duration",
    "credit_amount",
    "installment_rate",
    "present_residence_since",
    "age",
    "number_of_existing_credits",
    "number_of_people_liable_for",
]


FEATURES = CATEGORICAL + NUMERIC


def fit_pipeline(df: pd.DataFrame) -> Pipeline:
    """The fitted pipeline: one-hot categorical, standardised numeric, logistic regression."""
    prep = ColumnTransformer(
        [
            ("categorical", OneHotEncoder(handle_unknown="ignore"), CATEGORICAL),
            ("numeric", StandardScaler(), NUMERIC),
        ]
    )
    model = Pipeline([("prep", prep), ("clf", LogisticRegression(max_iter=1000))])
    return model.fit(df[FEATURES], df["credit"])


def train(path: Path = MODEL_PATH) -> Path:
    """Fit the pipeline on all 1,000 applicants and save it to ``path`` (skops format)."""
    model = fit_pipeline(load_german_credit())
    path.parent.mkdir(parents=True, exist_ok=True)
    sio.dump(model, path)
    untrusted = sio.get_untrusted_types(file=path)
    if untrusted:  # a plain scikit-learn pipeline needs none; list any under `trust:`
        print(f"types to review and trust: {untrusted}")
    return path


if __name__ == "__main__":
    saved = train()
    digest = hashlib.sha256(saved.read_bytes()).hexdigest()
    print(f"saved {saved} (sha256 {digest[:16]}...)")
