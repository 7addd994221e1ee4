"""The log's curves (what the report's ROC, calibration and confusion charts draw).

Checked against scikit-learn on the raw rows, for the overall population and single groups.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.calibration import calibration_curve
from sklearn.metrics import confusion_matrix, roc_curve

from _data import make_frame
from equilens.audit._run import MAX_ROC_POINTS, audit
from equilens.results import AuditLog


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return make_frame(n=1200, seed=4)


@pytest.fixture(scope="module")
def curves_log(frame: pd.DataFrame) -> AuditLog:
    return audit(
        frame,
        y_true="y",
        y_pred="pred",
        y_score="score",
        sensitive_features=["race", "sex"],
        intersections=True,
        bootstrap=0,
    )


def _rows(frame: pd.DataFrame, mapping: dict[str, str]) -> pd.DataFrame:
    mask = np.ones(len(frame), dtype=bool)
    for k, v in mapping.items():
        mask &= (frame[k] == v).to_numpy()
    return frame[mask]


def test_curves_cover_overall_and_single_feature_groups(curves_log: AuditLog) -> None:
    assert curves_log.curves is not None
    slices = [c.slice for c in curves_log.curves]
    expected = [{}] + [g for f in curves_log.families if len(f.features) == 1 for g in f.groups]
    assert slices == expected  # no intersections: logs stay small


def test_confusion_matches_sklearn(curves_log: AuditLog, frame: pd.DataFrame) -> None:
    assert curves_log.curves is not None
    for cv in curves_log.curves:
        rows = _rows(frame, cv.slice)
        tn, fp, fn, tp = confusion_matrix(rows["y"], rows["pred"], labels=[0, 1]).ravel()
        k = cv.confusion
        assert (k.tn, k.fp, k.fn, k.tp) == (tn, fp, fn, tp)
        assert cv.n == len(rows)


def test_calibration_matches_sklearn(curves_log: AuditLog, frame: pd.DataFrame) -> None:
    assert curves_log.curves is not None
    for cv in curves_log.curves:
        rows = _rows(frame, cv.slice)
        prob_true, prob_pred = calibration_curve(rows["y"], rows["score"], n_bins=10)
        assert cv.calibration is not None
        np.testing.assert_allclose([b.observed_rate for b in cv.calibration], prob_true)
        np.testing.assert_allclose([b.mean_score for b in cv.calibration], prob_pred)
        assert sum(b.count for b in cv.calibration) == len(rows)


def test_roc_is_downsampled_and_stays_on_the_curve(
    curves_log: AuditLog, frame: pd.DataFrame
) -> None:
    assert curves_log.curves is not None
    for cv in curves_log.curves:
        rows = _rows(frame, cv.slice)
        fpr, tpr, thresholds = roc_curve(rows["y"], rows["score"], drop_intermediate=False)
        assert cv.roc is not None
        roc = cv.roc
        assert len(roc.fpr) == len(roc.tpr) == len(roc.threshold) <= MAX_ROC_POINTS
        assert (roc.fpr[0], roc.tpr[0], roc.fpr[-1], roc.tpr[-1]) == (0.0, 0.0, 1.0, 1.0)
        assert roc.threshold[0] is None
        assert np.all(np.diff(roc.fpr) >= 0) and np.all(np.diff(roc.tpr) >= 0)
        # Every kept point is a point of scikit-learn's curve at the same threshold.
        exact = {round(float(t), 9): (f, p) for f, p, t in zip(fpr, tpr, thresholds)}
        for f, p, t in zip(roc.fpr[1:], roc.tpr[1:], roc.threshold[1:]):
            assert t is not None
            np.testing.assert_allclose((f, p), exact[round(t, 9)])
    overall = curves_log.curves[0]
    # Many distinct scores: downsampled, evenly along the curve, to close to the limit.
    assert overall.roc is not None and len(overall.roc.fpr) > MAX_ROC_POINTS * 0.9
    steps = np.abs(np.diff(overall.roc.fpr)) + np.abs(np.diff(overall.roc.tpr))
    assert steps.max() < 4 * 2 / MAX_ROC_POINTS


def test_no_scores_no_curves_but_confusion(frame: pd.DataFrame) -> None:
    log = audit(frame, y_true="y", y_pred="pred", sensitive_features=["sex"], bootstrap=0)
    assert log.curves is not None
    assert all(c.roc is None and c.calibration is None for c in log.curves)
    assert sum(c.confusion.tp for c in log.curves[1:]) == log.curves[0].confusion.tp


def test_a_group_without_negatives_has_no_roc() -> None:
    df = pd.DataFrame(
        {
            "y": [1, 1, 1, 0, 1, 0],
            "pred": [1, 0, 1, 0, 1, 1],
            "score": [0.9, 0.2, 0.8, 0.1, 0.7, 0.6],
            "g": ["a", "a", "a", "b", "b", "b"],
        }
    )
    log = audit(df, y_true="y", y_pred="pred", y_score="score", sensitive_features="g")
    assert log.curves is not None
    by_group = {tuple(c.slice.values()): c for c in log.curves}
    assert by_group[("a",)].roc is None
    assert by_group[("b",)].roc is not None


def test_logs_without_curves_still_validate(curves_log: AuditLog) -> None:
    raw = curves_log.model_dump(mode="json")
    del raw["curves"]
    assert AuditLog.model_validate(raw).curves is None
