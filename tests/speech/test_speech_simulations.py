"""Simulations of the speech audit's statistics: clustered WER intervals and the null.

Speakers differ (each has its own error rate, Beta-distributed around the population WER),
utterances differ in length, and errors are binomial within an utterance. The population
WER is E[errors] / E[words] = the Beta mean. Many replicates run as the groups of one audit
(vectorised), so each simulation is a few audits.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

import equilens

TRUE_WER = 0.15


def _utterances(
    rng: np.random.Generator, n_speakers: int, per_speaker: int, icc_strength: float = 8.0
) -> dict[str, np.ndarray]:
    """Errors and reference words of ``n_speakers`` x ``per_speaker`` utterances.

    Speaker rates ~ Beta(m k, (1 - m) k) with k = ``icc_strength`` (smaller k = larger
    between-speaker spread); words ~ 3 + Poisson(6).
    """
    k = icc_strength
    p = rng.beta(TRUE_WER * k, (1 - TRUE_WER) * k, size=n_speakers)
    words = 3 + rng.poisson(6, size=(n_speakers, per_speaker))
    errors = rng.binomial(words, p[:, None])
    speaker = np.repeat(np.arange(n_speakers), per_speaker)
    return {"errors": errors.ravel(), "words": words.ravel(), "speaker": speaker}


def _coverage(cluster: bool, reps: int, seed: int) -> tuple[float, float]:
    rng = np.random.default_rng(seed)
    n_spk, per = 20, 8
    u = _utterances(rng, n_spk * reps, per)
    df = pd.DataFrame(
        {
            "err": u["errors"],
            "words": u["words"],
            "speaker": u["speaker"],
            "rep": (u["speaker"] // n_spk).astype(str),
        }
    )
    log = equilens.audit(
        df,
        task="measure",
        numerator="err",
        denominator="words",
        sensitive_features=["rep"],
        cluster="speaker" if cluster else None,
        max_groups_per_feature=reps,
        min_group_size=1,
    )
    rows = [r for r in log.results if r.slice]
    assert len(rows) == reps
    hit = np.array([r.ci_low <= TRUE_WER <= r.ci_high for r in rows])  # type: ignore[operator]
    cov = float(hit.mean())
    return cov, float(np.sqrt(cov * (1 - cov) / reps))


@pytest.mark.slow
def test_clustered_wer_interval_covers_with_speaker_effects() -> None:
    # 20 speakers x 8 utterances per replicate; design effect about 3 (speakers differ).
    cov, mc = _coverage(cluster=True, reps=2000, seed=11)
    naive, _naive_mc = _coverage(cluster=False, reps=2000, seed=11)
    print(f"clustered coverage {cov:.3f} ({mc:.3f}); utterances as independent {naive:.3f}")
    # Seeded result: 0.94x; 20 clusters make the t interval slightly short at most.
    assert abs(cov - 0.95) < 3 * mc + 0.01
    assert naive < cov - 0.1  # ignoring speakers is visibly wrong


def _null_audit(rng: np.random.Generator, cluster: bool) -> bool:
    groups = np.array(["a", "b", "c"])
    n_spk, per = 45, 6
    u = _utterances(rng, n_spk, per)
    df = pd.DataFrame(
        {
            "err": u["errors"],
            "words": u["words"],
            "speaker": u["speaker"],
            "accent": groups[u["speaker"] % 3],
            "gender": np.array(["f", "m"])[(u["speaker"] // 3) % 2],
        }
    )
    kw: dict[str, Any] = {"cluster": "speaker"} if cluster else {}
    log = equilens.audit(
        df,
        task="measure",
        numerator="err",
        denominator="words",
        sensitive_features=["accent", "gender"],
        min_group_size=1,
        **kw,
    )
    return any(c.conclusion == "difference_detected" for c in log.comparisons)


@pytest.mark.slow
def test_whole_audit_false_finding_rate_under_the_null() -> None:
    # Every group has the same speaker distribution; accent (3 values) and gender (2) give a
    # Holm family of 3 comparisons; speakers nested in groups.
    rng = np.random.default_rng(5)
    reps = 400
    found = np.array([_null_audit(rng, cluster=True) for _ in range(reps)])
    rate = float(found.mean())
    mc = float(np.sqrt(0.05 * 0.95 / reps))
    print(f"family-wise false findings {rate:.3f} (MC error {mc:.3f})")
    assert rate <= 0.05 + 3 * mc
    naive = np.array([_null_audit(rng, cluster=False) for _ in range(100)]).mean()
    print(f"utterances as independent: {naive:.3f}")
    assert naive > rate
