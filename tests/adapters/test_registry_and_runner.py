"""The adapter registry (lazy, 'Did you mean'), the spec factory and the batch runner."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import pytest

import equilens.adapters._base as base
from equilens.adapters import (
    TASKS,
    BaseAdapter,
    CallableAdapter,
    GenerationSettings,
    MissingDependencyError,
    ModelAdapter,
    PrecomputedAdapter,
    adapters,
    load_adapter,
    predict_frame,
    progress_bar,
    register_adapter,
    run_adapter,
)
from equilens.adapters._base import lazy_import
from equilens.exceptions import InvalidParameterError, RegistryLookupError

HEAVY = ("torch", "transformers", "onnxruntime", "spacy", "httpx", "sklearn", "skops")


def test_builtin_adapters_are_registered_with_aliases() -> None:
    assert adapters.names() == [
        "precomputed",
        "sklearn",
        "callable",
        "onnx",
        "huggingface",
        "spacy",
        "openai",
    ]
    assert adapters.canonical("hf") == "huggingface"
    assert adapters.canonical("scikit-learn") == "sklearn"
    assert adapters.get("openai-compatible").name == "openai"


def test_unknown_kind_suggests_close_names() -> None:
    with pytest.raises(RegistryLookupError, match="Unknown model adapter 'sklarn'") as info:
        load_adapter({"kind": "sklarn", "path": "m.skops"})
    assert "Did you mean: sklearn" in str(info.value)
    with pytest.raises(RegistryLookupError, match="Did you mean: huggingface"):
        load_adapter({"kind": "hugingface"})


def test_spec_must_be_a_mapping_with_a_kind() -> None:
    with pytest.raises(InvalidParameterError, match="must be a mapping"):
        load_adapter(["sklearn"])  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError, match="'kind' parameter"):
        load_adapter({"path": "m.skops"})


def test_importing_adapters_imports_no_heavy_library() -> None:
    code = (
        "import sys, equilens.adapters as a; a.load_adapter({'kind': 'precomputed', "
        f"'y_pred': 'p'}}); print([m for m in {HEAVY!r} if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_missing_dependency_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    real = base.importlib.util.find_spec

    def hide(name: str, *args: Any) -> Any:
        return None if name == "onnxruntime" else real(name, *args)

    monkeypatch.setattr(base.importlib.util, "find_spec", hide)
    with pytest.raises(MissingDependencyError, match=r"pip install 'equilens\[onnx\]'"):
        lazy_import("onnxruntime", adapter="onnx", extra="onnx")


def test_plugins_need_qualified_names() -> None:
    with pytest.raises(InvalidParameterError, match="qualified"):
        register_adapter("mine", "pkg.mod:Adapter")
    name = "tests/precomputed-copy"
    if name not in adapters:
        register_adapter(name, "equilens.adapters._precomputed:PrecomputedAdapter")
    adapter = load_adapter({"kind": name, "y_pred": "p"})
    assert isinstance(adapter, PrecomputedAdapter)
    with pytest.raises(ValueError, match="already registered"):
        register_adapter(name, "equilens.adapters._precomputed:PrecomputedAdapter")


def test_an_adapter_instance_passes_through() -> None:
    adapter = PrecomputedAdapter(y_pred="p")
    assert load_adapter(adapter) is adapter
    assert isinstance(adapter, ModelAdapter)


def test_precomputed_reads_columns_and_never_caches(tmp_path: Any) -> None:
    df = pd.DataFrame({"p": [1, 0, 1], "s": [0.9, 0.2, 0.7], "g": ["a", "b", "a"]})
    adapter = load_adapter({"kind": "precomputed", "y_pred": "p", "y_score": "s"})
    run = predict_frame(adapter, df, cache=tmp_path / "c.sqlite")
    assert run.frame["y_pred"].tolist() == [1, 0, 1]
    assert run.frame["y_score"].tolist() == [0.9, 0.2, 0.7]
    assert run.results["predict"].n_cached == 0
    assert run.model["source"] == {"columns": {"predict": "p", "predict_proba": "s"}}
    with pytest.raises(Exception, match=r"Found no prediction column\(s\) \['s'\]"):
        predict_frame(adapter, df.drop(columns="s"))
    with pytest.raises(InvalidParameterError, match="needs 'y_pred' or 'y_score'"):
        load_adapter({"kind": "precomputed"})


class Doubler(BaseAdapter):
    """A deterministic fake model: counts its calls."""

    kind = "doubler"
    capabilities = frozenset({"predict", "predict_proba"})
    default_batch_size = 4

    def __init__(self) -> None:
        self.batches: list[int] = []

    def predict(self, inputs: Any) -> Sequence[Any]:
        self.batches.append(len(inputs))
        return (inputs["x"] * 2).tolist()

    def predict_proba(self, inputs: Any) -> Sequence[float]:
        return (inputs["x"] / 100.0).tolist()


def test_batches_and_progress() -> None:
    adapter = Doubler()
    seen: list[tuple[str, int, int]] = []
    df = pd.DataFrame({"x": range(10)})
    result = run_adapter(adapter, "predict", df, progress=lambda *a: seen.append(a))
    assert adapter.batches == [4, 4, 2]
    assert seen == [("predict", 0, 10), ("predict", 4, 10), ("predict", 8, 10), ("predict", 10, 10)]
    assert result.outputs == [2 * x for x in range(10)]
    assert result.model_calls == 3 and result.rows_per_second > 0
    run_adapter(adapter, "predict", df, batch_size=100)
    assert adapter.batches[-1] == 10
    with pytest.raises(InvalidParameterError, match="'batch_size' parameter"):
        run_adapter(adapter, "predict", df, batch_size=0)
    with pytest.raises(InvalidParameterError, match="'task' parameter"):
        run_adapter(adapter, "fit", df)  # type: ignore[arg-type]


def test_progress_bar_drives_rich(capsys: pytest.CaptureFixture[str]) -> None:
    with progress_bar("demo") as bar:
        run_adapter(Doubler(), "predict", pd.DataFrame({"x": range(10)}), progress=bar)


def test_predict_frame_columns_and_record() -> None:
    df = pd.DataFrame({"x": range(6), "sex": list("fmfmfm")})
    run = predict_frame(Doubler(), df, columns={"predict": "pred", "predict_proba": "score"})
    assert run.columns == {"predict": "pred", "predict_proba": "score"}
    assert run.frame["pred"].dtype == np.int64
    assert run.ok and run.ok_mask.all()
    record = run.record()
    json.dumps(record)
    assert record["runs"]["predict"]["n_computed"] == 6
    assert record["model"]["kind"] == "doubler"
    with pytest.raises(InvalidParameterError, match="already has a column 'x'"):
        predict_frame(Doubler(), df, columns={"predict": "x"})
    with pytest.raises(InvalidParameterError, match="'on_error' parameter"):
        predict_frame(Doubler(), df, on_error="ignore")  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError, match="does not support generate"):
        predict_frame(Doubler(), df, tasks=["generate"])


def test_a_model_broken_on_every_row_stops_early() -> None:
    def broken(df: pd.DataFrame) -> list[int]:
        raise KeyError("feature 'income' missing")

    adapter = CallableAdapter(predict=broken)
    result = run_adapter(adapter, "predict", pd.DataFrame({"x": range(100)}), batch_size=10)
    assert result.stopped is not None and "every row of a batch of 10 failed" in result.stopped
    assert len(result.errors) == 100
    assert result.model_calls == 19  # one batch isolated, then stop


def test_generation_settings_validation() -> None:
    assert GenerationSettings().greedy
    assert not GenerationSettings(temperature=0.7).greedy
    assert GenerationSettings.from_mapping({"stop": "\n"}).stop == ("\n",)
    with pytest.raises(InvalidParameterError, match="'temperature' parameter"):
        GenerationSettings(temperature=-1)
    with pytest.raises(InvalidParameterError, match="'max_new_tokens' parameter"):
        GenerationSettings(max_new_tokens=0)
    with pytest.raises(InvalidParameterError, match="Did you mean: max_new_tokens"):
        GenerationSettings.from_mapping({"max_tokens": 5})
    assert set(GenerationSettings().to_dict()) == {
        "max_new_tokens",
        "temperature",
        "top_p",
        "seed",
        "stop",
        "system_prompt",
    }
    assert TASKS == ("predict", "predict_proba", "generate")
