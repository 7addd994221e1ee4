"""Regression and measure audits through the CLI: exit codes and one-line errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from equilens._cli.main import main


@pytest.fixture
def csv(tmp_path: Path) -> Path:
    rng = np.random.default_rng(0)
    n = 300
    df = pd.DataFrame(
        {
            "y": rng.normal(size=n),
            "p": rng.normal(size=n),
            "err": rng.integers(0, 4, n),
            "words": rng.integers(1, 12, n),
            "neg": -rng.integers(1, 3, n),
            "txt": rng.choice(["a", "b"], n),
            "rid": np.arange(n),
            "spk": rng.integers(0, 30, n),
            "g": rng.choice(["f", "m"], n),
        }
    )
    path = tmp_path / "rows.csv"
    df.to_csv(path, index=False)
    return path


@pytest.mark.parametrize(
    ("flags", "code", "text"),
    [
        (["--task", "regression", "--y-true", "y", "--y-pred", "p"], 0, None),
        (["--task", "measure", "--numerator", "err", "--denominator", "words"], 0, None),
        (["--task", "measure", "--value", "y", "--cluster", "spk"], 0, None),
        (["--task", "regression", "--y-true", "txt", "--y-pred", "p"], 2, "--task multiclass"),
        (["--task", "measure", "--numerator", "err"], 2, "denominator"),
        (["--task", "measure", "--denominator", "words"], 2, "numerator"),
        (["--task", "measure", "--numerator", "err", "--denominator", "neg"], 2, "neg"),
        (["--task", "measure", "--value", "y", "--cluster", "rid"], 2, "--cluster"),
    ],
)
def test_cli_exit_codes(
    csv: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    flags: list[str],
    code: int,
    text: str | None,
) -> None:
    out = tmp_path / "out"
    argv = ["audit", "--data", str(csv), "--sensitive", "g", "--out", str(out), *flags]
    assert main(argv) == code
    err = capsys.readouterr().err
    if text is not None:
        assert text in err
        assert "Traceback" not in err
        assert len([line for line in err.strip().splitlines() if line.strip()]) <= 2
