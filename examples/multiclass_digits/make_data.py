"""Write ``digits_predictions.csv``: out-of-fold predictions of a classifier on scikit-learn's
shipped handwritten digits (1,797 8x8 images, 10 classes; no download).

    python examples/multiclass_digits/make_data.py

The digits carry no demographic attribute. The audit slices by two honest image attributes
computed from the pixels: ``ink`` (share of pixels with any ink, in terciles: light / medium /
heavy) and ``width`` (columns spanned by the ink: narrow <= 5 of 8, wide 6-8). Both depend
on the digit drawn (a 1 is narrow and light), so group differences mix the attribute with the
class mix; the audit's per-class recalls separate the two. They stand in
for the groups a real audit would use; they are not people.

Model: ``LogisticRegression`` (scaled pixels, C=0.05, fixed seed) with 5-fold
``cross_val_predict``, so every image gets a prediction from a model that never saw it.
Scores are the predicted class probabilities, one column per class (``p0`` .. ``p9``),
rounded to 4 decimals and renormalised.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

HERE = Path(__file__).resolve().parent
OUT = HERE / "digits_predictions.csv"


def build() -> pd.DataFrame:
    digits = load_digits()
    x, y = digits.data, digits.target
    model = make_pipeline(StandardScaler(), LogisticRegression(C=0.05, max_iter=2000))
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
    proba = cross_val_predict(model, x, y, cv=folds, method="predict_proba")
    proba = np.round(proba, 4)
    proba = np.round(proba / proba.sum(axis=1, keepdims=True), 6)
    images = digits.images
    inked = (images > 0).mean(axis=(1, 2))
    cuts = np.quantile(inked, [1 / 3, 2 / 3])
    ink = np.array(["light", "medium", "heavy"])[np.searchsorted(cuts, inked, side="right")]
    columns_with_ink = (images > 0).any(axis=1).sum(axis=1)
    width = np.where(columns_with_ink <= 5, "narrow", "wide")
    frame = pd.DataFrame(
        {"digit": y, "predicted": proba.argmax(axis=1), "ink": ink, "width": width}
    )
    for k in range(10):
        frame[f"p{k}"] = proba[:, k]
    return frame


if __name__ == "__main__":
    frame = build()
    frame.to_csv(OUT, index=False)
    acc = float((frame["digit"] == frame["predicted"]).mean())
    print(f"wrote {OUT} ({len(frame)} rows, accuracy {acc:.3f})")
