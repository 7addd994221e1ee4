"""Python functions as models: 'module:function' resolution and rows that fail."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from equilens.adapters import (
    CallableAdapter,
    GenerationSettings,
    ModelOutputError,
    load_adapter,
    predict_frame,
    run_adapter,
)
from equilens.exceptions import InvalidInputError, InvalidParameterError

MODEL = """
import numpy as np

CALLS = []


def predict(df):
    CALLS.append(len(df))
    bad = df.index[df["amount"] < 0].tolist()
    if bad:
        raise ValueError(f"negative amount in row {bad[0]}")
    return (df["amount"] > 1000).astype(int).to_numpy()


def score(df):
    return np.clip(df["amount"].to_numpy() / 5000.0, 0, 1)


def one_row(row):
    if row["amount"] < 0:
        raise ValueError("negative amount")
    return int(row["amount"] > 1000)


def echo(prompts, settings):
    return [f"{p}|{settings.max_new_tokens}" for p in prompts]


def wrong_length(df):
    return [1]


def out_of_range(df):
    return df["amount"].to_numpy() / 10.0

NOT_A_FUNCTION = 3
"""


@pytest.fixture
def model_file(tmp_path: Path) -> Path:
    path = tmp_path / "toy_model.py"
    path.write_text(textwrap.dedent(MODEL))
    return path


@pytest.fixture
def amounts() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"amount": rng.integers(0, 5000, 200), "sex": rng.choice(["f", "m"], 200)})
    return df


def _module(adapter: Any) -> Any:
    fn = adapter._fns["predict"]
    return sys.modules[fn.__module__]


def test_file_callable_predicts_and_scores(model_file: Path, amounts: pd.DataFrame) -> None:
    spec = {
        "kind": "callable",
        "predict": f"{model_file}:predict",
        "predict_proba": f"{model_file}:score",
        "features": ["amount"],
    }
    adapter = load_adapter(spec)
    run = predict_frame(adapter, amounts)
    assert run.frame["y_pred"].tolist() == (amounts["amount"] > 1000).astype(int).tolist()
    np.testing.assert_allclose(run.frame["y_score"], amounts["amount"] / 5000.0)
    desc = adapter.describe()
    assert desc["source"]["predict"] == f"{model_file}:predict"
    assert len(desc["settings"]["source_sha256"]["predict"]) == 64


def test_rows_that_raise_are_reported_and_the_rest_kept(
    model_file: Path, amounts: pd.DataFrame
) -> None:
    amounts = amounts.copy()
    bad_rows = [3, 77, 150]
    amounts.loc[bad_rows, "amount"] = -1
    adapter = CallableAdapter(predict=f"{model_file}:predict", features=["amount"])
    result = run_adapter(adapter, "predict", amounts, batch_size=64)
    assert [e.index for e in result.errors] == bad_rows
    assert result.errors[0].error == "ValueError: negative amount in row 3"
    expected = (amounts["amount"] > 1000).astype(int).tolist()
    for i, value in enumerate(result.outputs):
        assert value == (None if i in bad_rows else expected[i])
    # bisection: 4 batches + about 2 log2(64) calls per bad row, not one call per row
    assert result.model_calls < 4 + 3 * 2 * 7
    assert result.n_computed == 197
    with pytest.raises(ModelOutputError) as info:
        predict_frame(adapter, amounts, tasks=["predict"])
    message = str(info.value)
    assert "failed on 3 of 200 rows (predict): row 3: ValueError" in message
    assert "row 77" in message and "The 197 other outputs are kept" in message
    run = info.value.run
    assert run.frame["y_pred"].isna().sum() == 3 and run.ok_mask.sum() == 197
    kept = predict_frame(adapter, amounts, tasks=["predict"], on_error="keep")
    assert kept.frame.loc[kept.ok_mask, "y_pred"].tolist() == [
        v for i, v in enumerate(expected) if i not in bad_rows
    ]
    assert kept.record()["runs"]["predict"]["n_failed"] == 3


def test_per_row_function(model_file: Path, amounts: pd.DataFrame) -> None:
    amounts = amounts.copy()
    amounts.loc[5, "amount"] = -3
    adapter = CallableAdapter(predict=f"{model_file}:one_row", features=["amount"], batched=False)
    result = run_adapter(adapter, "predict", amounts)
    assert [(e.index, e.error) for e in result.errors] == [(5, "ValueError: negative amount")]
    assert result.model_calls == 1  # per-row failures need no isolation


def test_generate_gets_the_settings(model_file: Path) -> None:
    adapter = CallableAdapter(
        generate=f"{model_file}:echo", input_type="text", settings={"max_new_tokens": 9}
    )
    assert run_adapter(adapter, "generate", ["a", "b"]).outputs == ["a|9", "b|9"]
    other = run_adapter(adapter, "generate", ["a"], settings=GenerationSettings(max_new_tokens=2))
    assert other.outputs == ["a|2"]
    assert adapter.describe()["settings"]["generation"]["max_new_tokens"] == 9


def test_invalid_outputs_are_row_errors(model_file: Path, amounts: pd.DataFrame) -> None:
    wrong = CallableAdapter(predict=f"{model_file}:wrong_length")
    result = run_adapter(wrong, "predict", amounts.head(4), batch_size=4)
    # a 1-row call returns 1 output, so the rows succeed after isolation
    assert result.ok and result.model_calls == 7
    scores = CallableAdapter(predict_proba=f"{model_file}:out_of_range", features=["amount"])
    result = run_adapter(scores, "predict_proba", pd.DataFrame({"amount": [5, 50]}))
    assert result.outputs == [0.5, None]
    assert result.errors[0].error == "InvalidOutput: the score 5.0 is not a probability in [0, 1]"


def test_module_callable_and_in_memory_function(amounts: pd.DataFrame) -> None:
    adapter = load_adapter(
        {"kind": "callable", "predict": "operator:truth", "batched": False, "version": "1"}
    )
    assert run_adapter(adapter, "predict", pd.DataFrame({"a": [0, 1]})).outputs == [True, True]

    def rule(df: pd.DataFrame) -> list[int]:
        return (df["amount"] > 10).astype(int).tolist()

    mem = CallableAdapter(predict=rule)
    assert mem.cacheable  # identified by its source text
    assert mem.describe()["source"]["predict"].endswith("rule")


def test_resolution_errors(model_file: Path, tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match=r"Module 'no_such_module_xyz' .* cannot be found"):
        load_adapter({"kind": "callable", "predict": "no_such_module_xyz:f"})
    with pytest.raises(
        InvalidInputError, match=r"has no attribute 'predikt'\. Did you mean: predict"
    ):
        load_adapter({"kind": "callable", "predict": f"{model_file}:predikt"})
    with pytest.raises(InvalidInputError, match="is a int, not a function"):
        load_adapter({"kind": "callable", "predict": f"{model_file}:NOT_A_FUNCTION"})
    with pytest.raises(InvalidInputError, match="does not exist"):
        load_adapter({"kind": "callable", "predict": f"{tmp_path / 'nope.py'}:f"})
    broken = tmp_path / "broken.py"
    broken.write_text("raise RuntimeError('import-time failure')\n")
    with pytest.raises(InvalidInputError, match="import-time failure"):
        load_adapter({"kind": "callable", "predict": f"{broken}:f"})
    with pytest.raises(InvalidParameterError, match="'module:function'"):
        load_adapter({"kind": "callable", "predict": "no_colon"})
    with pytest.raises(InvalidParameterError, match="at least one of"):
        load_adapter({"kind": "callable"})


def test_relative_file_resolves_against_base_dir(model_file: Path) -> None:
    adapter = load_adapter(
        {"kind": "callable", "predict": "toy_model.py:score"}, base_dir=model_file.parent
    )
    assert adapter.capabilities == {"predict"}


def test_editing_the_function_file_invalidates_the_cache(
    model_file: Path, amounts: pd.DataFrame, tmp_path: Path
) -> None:
    cache = tmp_path / "c.sqlite"
    spec = {"kind": "callable", "predict": f"{model_file}:score", "features": ["amount"]}
    first = run_adapter(load_adapter(spec), "predict", amounts, cache=cache)
    again = run_adapter(load_adapter(spec), "predict", amounts, cache=cache)
    assert (first.n_computed, again.n_cached, again.model_calls) == (200, 200, 0)
    model_file.write_text(model_file.read_text().replace("5000.0", "4000.0"))
    edited = load_adapter(spec)
    changed = run_adapter(edited, "predict", amounts, cache=cache)
    assert changed.n_cached == 0
