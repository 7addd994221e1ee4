"""Files and paths: atomic writes, unwritable or conflicting outputs, absurd options.

Every case is exit code 2 with one line on stderr (never 3, never a traceback), and the
check happens before the work (an audit is not run to fail at its first write).
"""

from __future__ import annotations

import json
import os
import pathlib
import stat
from collections.abc import Callable

import pytest

from _data import make_frame
from equilens._cli.main import main
from equilens._files import write_text_atomic
from equilens.exceptions import InvalidInputError

# --- atomic writes ----------------------------------------------------------------------------


def test_a_symlinked_tmp_file_is_not_followed(tmp_path: pathlib.Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    target = tmp_path / "report.html"
    (tmp_path / "report.html.tmp").symlink_to(victim)
    write_text_atomic(target, "new content")
    assert victim.read_text() == "precious"
    assert target.read_text() == "new content" and not target.is_symlink()


def test_the_temporary_file_is_removed_on_failure(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "audit.json"
    target.write_text("old")

    def fail(*args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(InvalidInputError, match=r"Cannot write .*audit.json: No space left"):
        write_text_atomic(target, "new")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["audit.json"]
    assert target.read_text() == "old"


def test_modes_new_file_follows_umask_and_replaced_file_keeps_its_own(
    tmp_path: pathlib.Path,
) -> None:
    old = os.umask(0o022)
    try:
        new = write_text_atomic(tmp_path / "new.md", "x")
        assert stat.S_IMODE(new.stat().st_mode) == 0o644  # not mkstemp's 0600
        kept = tmp_path / "kept.md"
        kept.write_text("x")
        kept.chmod(0o640)
        write_text_atomic(kept, "y")
        assert stat.S_IMODE(kept.stat().st_mode) == 0o640
    finally:
        os.umask(old)


def test_concurrent_writers_use_distinct_temporary_files(tmp_path: pathlib.Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    target = tmp_path / "log.json"
    texts = [json.dumps({"i": i, "pad": "x" * 10_000}) for i in range(16)]
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda t: write_text_atomic(target, t), texts))
    assert target.read_text() in texts  # whole, never interleaved
    assert [p.name for p in tmp_path.iterdir()] == ["log.json"]


# --- CLI: output paths ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, pathlib.Path]:
    """A CSV, an audit log of it, a policy, a plain file and a folder to misuse."""
    root = tmp_path_factory.mktemp("paths")
    csv = root / "preds.csv"
    make_frame(n=400).to_csv(csv, index=False)
    out = root / "audit"
    args = ["audit", "--data", str(csv), "--y-true", "y", "--y-pred", "pred"]
    args += ["--sensitive", "race", "--bootstrap", "0", "--out", str(out), "--quiet"]
    assert main(args) == 0
    policy = root / "policy.yaml"
    policy.write_text(
        "kind: policy\nname: p\nrules:\n  - id: r\n    metric: accuracy_score\n"
        "    on: value\n    op: '<'\n    threshold: 0.0\n    severity: warn\n"
    )
    plain = root / "plain.txt"
    plain.write_text("I am a file")
    folder = root / "folder"
    folder.mkdir()
    spec = root / "spec.yaml"
    spec.write_text(
        f"data: {{path: {csv}}}\ncolumns: {{y_true: y, y_pred: pred}}\n"
        f"sensitive_features: [race]\noutputs: {{dir: {plain}}}\n"
    )
    return {
        "csv": csv,
        "log": out / "audit.json",
        "policy": policy,
        "plain": plain,
        "folder": folder,
        "spec": spec,
        "root": root,
    }


def _audit(f: dict[str, pathlib.Path], out: str, *, bootstrap: str = "0") -> list[str]:
    argv = ["audit", "--data", str(f["csv"]), "--y-true", "y", "--y-pred", "pred"]
    return [*argv, "--sensitive", "race", "--bootstrap", bootstrap, "--out", out]


def _gate(f: dict[str, pathlib.Path], option: str) -> list[str]:
    return [
        "gate",
        str(f["log"]),
        "--policy",
        str(f["policy"]),
        "--dry-run",
        option,
        str(f["folder"]),
    ]


# (name, argv builder, words the message must hold)
CASES: list[tuple[str, Callable[[dict[str, pathlib.Path]], list[str]], str]] = [
    ("audit --out file", lambda f: _audit(f, str(f["plain"])), "--out"),
    ("audit --out under a file", lambda f: _audit(f, str(f["plain"] / "sub")), "--out"),
    (
        "audit spec outputs.dir file",
        lambda f: ["audit", str(f["spec"]), "--no-store"],
        "outputs.dir",
    ),
    ("report --out file", lambda f: ["report", str(f["log"]), "--out", str(f["plain"])], "--out"),
    ("gate --junit dir", lambda f: _gate(f, "--junit"), "--junit"),
    ("gate --markdown dir", lambda f: _gate(f, "--markdown"), "--markdown"),
    ("gate --json dir", lambda f: _gate(f, "--json"), "--json"),
    (
        "gate --store under a file",
        lambda f: [
            "gate",
            str(f["log"]),
            "--policy",
            str(f["policy"]),
            "--store",
            str(f["plain"] / "history.db"),
        ],
        "run store",
    ),
    (
        "gate --store dir",
        lambda f: [
            "gate",
            str(f["log"]),
            "--policy",
            str(f["policy"]),
            "--store",
            str(f["folder"]),
        ],
        "is a directory",
    ),
    (
        "compare --json dir",
        lambda f: ["compare", str(f["log"]), str(f["log"]), "--json", str(f["folder"])],
        "--json",
    ),
    (
        "compare --html dir",
        lambda f: ["compare", str(f["log"]), str(f["log"]), "--html", str(f["folder"])],
        "--html",
    ),
    ("card --out file", lambda f: ["card", str(f["log"]), "--out", str(f["plain"])], "--out"),
    (
        "datasheet --out file",
        lambda f: [
            "datasheet",
            str(f["csv"]),
            "--sensitive",
            "race",
            "--out",
            str(f["plain"]),
        ],
        "--out",
    ),
    (
        "check-claims --out file",
        lambda f: ["check-claims", str(f["policy"]), str(f["log"]), "--out", str(f["plain"])],
        "--out",
    ),
    (
        "monitor init --state file",
        lambda f: [
            "monitor",
            "init",
            "--reference",
            str(f["csv"]),
            "--y-true",
            "y",
            "--y-pred",
            "pred",
            "--sensitive",
            "race",
            "--state",
            str(f["plain"]),
        ],
        "--state",
    ),
    (
        "monitor status --json dir",
        lambda f: ["monitor", "status", "--state", str(f["root"]), "--json", str(f["folder"])],
        "--json",
    ),
    (
        "probe --out file",
        lambda f: [
            "probe",
            "counterfactual",
            "--model",
            "x:y",
            "--suite",
            "profession_gender",
            "--out",
            str(f["plain"]),
        ],
        "--out",
    ),
    ("demo --out file", lambda f: ["demo", "--only", "compas", "--out", str(f["plain"])], "--out"),
]


def _one_line_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    capsys.readouterr()
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("equilens: error: "), err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    return err


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_unusable_output_paths_exit_2(
    case: tuple[str, Callable[[dict[str, pathlib.Path]], list[str]], str],
    files: dict[str, pathlib.Path],
    capsys: pytest.CaptureFixture[str],
) -> None:
    _, argv, needle = case
    err = _one_line_exit_2(argv(files), capsys)
    assert needle in err
    assert files["plain"].read_text() == "I am a file"


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root may write anywhere")
def test_a_folder_without_write_permission(
    files: dict[str, pathlib.Path], tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        err = _one_line_exit_2(_audit(files, str(locked / "out")), capsys)
        assert "permission denied" in err
        err = _one_line_exit_2([*_gate(files, "--json")[:-1], str(locked / "d.json")], capsys)
        assert "--json" in err
    finally:
        locked.chmod(0o700)


def test_a_file_named_like_an_output_inside_the_out_dir(
    files: dict[str, pathlib.Path], tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    (out / "audit.json").mkdir(parents=True)  # a folder where the log goes
    err = _one_line_exit_2(_audit(files, str(out)), capsys)
    assert "audit.json" in err and "is a directory" in err


# --- CLI: absurd options and inputs -----------------------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        lambda f: _audit(f, str(f["root"] / "o"), bootstrap="99999999999999"),
        lambda f: [
            "demo",
            "--only",
            "compas",
            "--bootstrap",
            "99999999999999",
            "--out",
            str(f["root"] / "demo"),
        ],
        lambda f: ["compare", str(f["log"]), str(f["log"]), "--bootstrap", "-1"],
    ],
    ids=["audit", "demo", "compare"],
)
def test_bootstrap_draws_are_bounded(
    argv: Callable[[dict[str, pathlib.Path]], list[str]],
    files: dict[str, pathlib.Path],
    capsys: pytest.CaptureFixture[str],
) -> None:
    err = _one_line_exit_2(argv(files), capsys)
    assert "--bootstrap must be between 0 and 1,000,000" in err


@pytest.mark.parametrize("value", ["2025-02-30", "2025-13-01", "yesterday", "99999-01-01"])
def test_invalid_dates_exit_2(
    value: str, files: dict[str, pathlib.Path], capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["gate", str(files["log"]), "--policy", str(files["policy"]), "--dry-run"]
    err = _one_line_exit_2([*argv, "--as-of", value], capsys)
    assert "--as-of" in err


def test_an_impossible_exemption_date_in_a_policy(
    files: dict[str, pathlib.Path], tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text(
        files["policy"].read_text() + "exemptions:\n  - rule: r\n    group: {race: a}\n"
        "    reason: x\n    approved_by: y\n    expires: 2025-02-30\n"
    )
    err = _one_line_exit_2(["validate", str(policy)], capsys)
    assert "invalid date '2025-02-30'" in err


@pytest.mark.parametrize("command", ["gate", "report", "card", "compare"])
def test_a_log_nested_20000_deep(
    command: str,
    files: dict[str, pathlib.Path],
    tmp_path: pathlib.Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    deep = tmp_path / "deep.json"
    deep.write_text('{"a": ' + "[" * 20_000 + "]" * 20_000 + "}")
    argv = {
        "gate": ["gate", str(deep), "--policy", str(files["policy"]), "--dry-run"],
        "report": ["report", str(deep), "--out", str(tmp_path / "r")],
        "card": ["card", str(deep), "--out", str(tmp_path / "c")],
        "compare": ["compare", str(deep), str(files["log"])],
    }[command]
    _one_line_exit_2(argv, capsys)


def test_a_directory_as_data_path(
    files: dict[str, pathlib.Path], tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        f"data: {{path: {empty}}}\ncolumns: {{y_true: y, y_pred: pred}}\n"
        "sensitive_features: [race]\n"
    )
    err = _one_line_exit_2(["validate", str(spec)], capsys)
    assert "is a directory without" in err
    err = _one_line_exit_2(["audit", str(spec), "--no-store", "--out", str(tmp_path / "o")], capsys)
    assert "is a directory without" in err
    err = _one_line_exit_2(
        [*_audit(files, "x")[:2], str(empty), *_audit(files, "x")[3:-1], str(tmp_path / "o")],
        capsys,
    )
    assert str(empty) in err


def test_no_permission_is_reported_even_when_running_as_root(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # root may write anywhere, so the permission branch is exercised through os.access.
    from equilens._files import path_problem

    monkeypatch.setattr(os, "access", lambda *args, **kwargs: False)
    assert path_problem(tmp_path / "new" / "out", directory=True) == (
        f"cannot write in {tmp_path} (permission denied)"
    )
    assert path_problem(tmp_path, directory=True) == "is not writable (permission denied)"
    with pytest.raises(InvalidInputError, match="permission denied"):
        write_text_atomic(tmp_path / "x.json", "{}")


def test_a_monitor_state_nested_20000_deep(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "monitor.json").write_text("[" * 20_000 + "]" * 20_000)
    err = _one_line_exit_2(["monitor", "status", "--state", str(tmp_path)], capsys)
    assert "monitor.json is not valid" in err
