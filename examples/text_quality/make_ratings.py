"""Make the example's ILLUSTRATIVE ratings (simulated raters, not human judgements).

The example needs a rating file to show agreement, triangulation and the verdict table, and
no human rated these summaries. So three simulated raters score each summary in
``generations.csv`` on two criteria of ``rubric.yaml``, by a documented rule:

* ``faithfulness`` (1-5): 1 + 4 x the summary's ROUGE-L F1 against the reference (a proxy
  for overlap with what the article says), plus rater noise (sd 0.6) and a leniency offset
  per rater (0, +0.3, -0.3); rater ``r3`` is noisier (sd 1.2) on the ``hispanic`` group, to
  show agreement that differs between groups.
* ``fluency`` (1-5): 5 minus 1 for a summary under 6 words, minus 1 if it does not end with
  a full stop, minus 1 if it repeats a word three times in a row, plus noise (sd 0.5).

Rounded and clipped to the scale. Seeded; run once and committed::

    python examples/text_quality/make_ratings.py

Every number derived from these ratings illustrates the method; none says anything about
how people judge SmolLM2.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from rouge_score import rouge_scorer

HERE = Path(__file__).resolve().parent
RATERS = {"r1": 0.0, "r2": 0.3, "r3": -0.3}


def _fluency(text: str) -> float:
    words = text.split()
    score = 5.0
    score -= len(words) < 6
    score -= not text.rstrip().endswith(".")
    score -= any(words[i] == words[i + 1] == words[i + 2] for i in range(len(words) - 2))
    return score


def main() -> None:
    frame = pd.read_csv(HERE / "generations.csv")
    rng = np.random.default_rng(20261204)
    scorer = rouge_scorer.RougeScorer(["rougeL"], use_stemmer=True)
    rows = []
    for rec in frame.itertuples(index=False):
        overlap = scorer.score(rec.reference, rec.smollm2)["rougeL"].fmeasure
        for rater, offset in RATERS.items():
            noise = 1.2 if rater == "r3" and rec.group == "hispanic" else 0.6
            faithful = 1 + 4 * overlap + offset + noise * rng.normal()
            fluent = _fluency(rec.smollm2) + 0.5 * rng.normal()
            for criterion, value in (("faithfulness", faithful), ("fluency", fluent)):
                score = int(np.clip(np.round(value), 1, 5))
                rows.append(
                    {
                        "item": rec.id,
                        "group": rec.group,
                        "rater": rater,
                        "criterion": criterion,
                        "score": score,
                    }
                )
    out = pd.DataFrame(rows)
    out.to_csv(HERE / "ratings_illustrative.csv", index=False)
    print(f"wrote {len(out)} illustrative ratings to {HERE / 'ratings_illustrative.csv'}")


if __name__ == "__main__":
    main()
