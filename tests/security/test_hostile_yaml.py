"""Hostile YAML: alias bombs, deep nesting, huge integers, duplicate keys, booleans as numbers.

Every loader that reads a user's YAML goes through ``equilens._yaml``; each case must be an
exit code 2 with one line naming the file, quickly, never a traceback or a long run.
"""

from __future__ import annotations

import itertools
import pathlib
import textwrap
import time
from collections.abc import Callable
from typing import Any

import pytest

from _data import make_frame
from equilens._cli.main import main
from equilens._yaml import MAX_DEPTH, parse_yaml_text
from equilens.exceptions import InvalidInputError


def _bomb(levels: int = 9) -> str:
    """The classic "billion laughs": 9 levels of 9 aliases, about 600 bytes, 9**9 leaves."""
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    names = "abcdefghij"[: levels + 1]
    for prev, name in itertools.pairwise(names):
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    return "\n".join(lines) + "\n"


HOSTILE = {
    "alias bomb": (_bomb(), "expands (through aliases)"),
    "deep flow nesting": ("a: " + "[" * 20_000 + "]" * 20_000, "nested deeper"),
    "deep block nesting": (
        "".join(" " * i + "k:\n" for i in range(300)) + " " * 300 + "k: 1\n",
        "nested deeper",
    ),
    "recursive alias": ("a: &x [1, *x]\n", "recursive alias"),
    "huge integer": ("a: " + "9" * 5000 + "\n", "more than 30 digits"),
    "integer past 2**63": ("a: 9223372036854775808\n", "out of range"),
    "duplicate key": ("rules: []\nname: x\nrules: []\n", "duplicate key 'rules' (first on line 1)"),
    "impossible date": ("a: 2025-02-30\n", "invalid date"),
    "too many aliases": ("a: &a 1\nb: [" + ",".join(["*a"] * 150) + "]\n", "more than 100 aliases"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_parser_refuses_quickly(case: str) -> None:
    text, needle = HOSTILE[case]
    start = time.perf_counter()
    with pytest.raises(InvalidInputError, match="invalid YAML") as info:
        parse_yaml_text(text, "hostile.yaml")
    assert time.perf_counter() - start < 5.0
    assert needle in str(info.value) and str(info.value).startswith("hostile.yaml:")
    assert "\n" not in str(info.value)


def test_ordinary_yaml_still_loads() -> None:
    text = (
        "owners: &o [ann, bob]\nrule:\n  owners: *o\n"
        "base: &b {x: 1, y: 2}\nmerged:\n  <<: *b\n  y: 3\n"
    )
    data, located = parse_yaml_text(text, "ok.yaml")
    assert data["rule"]["owners"] == ["ann", "bob"] and data["merged"] == {"x": 1, "y": 3}
    assert located.line(("merged", "y")) == 7
    nested = "a: " + "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1)
    assert parse_yaml_text(nested, "ok.yaml")[0] is not None


def _spec_dir(tmp_path: pathlib.Path) -> pathlib.Path:
    make_frame(n=200).to_csv(tmp_path / "preds.csv", index=False)
    return tmp_path


_SPEC = """\
version: 1
data: {path: preds.csv}
columns: {y_true: y, y_pred: pred}
sensitive_features: [race]
"""
_POLICY = """\
kind: policy
name: p
rules:
  - id: r1
    metric: accuracy_score
    on: value
    op: "<"
    threshold: 0.5
    severity: block
"""


def _cli_validate(path: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> str:
    start = time.perf_counter()
    assert main(["validate", str(path)]) == 2
    assert time.perf_counter() - start < 10.0
    err = capsys.readouterr().err
    assert err.startswith("equilens: error: ") and len(err.strip().splitlines()) == 1
    assert "Traceback" not in err
    return err


@pytest.mark.parametrize("case", sorted(HOSTILE))
@pytest.mark.parametrize("kind", ["spec", "policy"])
def test_validate_exits_2_with_one_line(
    case: str, kind: str, tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text, needle = HOSTILE[case]
    base = _SPEC if kind == "spec" else _POLICY
    path = _spec_dir(tmp_path) / f"{kind}.yaml"
    path.write_text(base + "extra_" + text if case != "duplicate key" else base + text)
    err = _cli_validate(path, capsys)
    assert "invalid YAML" in err and str(path) in err and needle.split(" (")[0] in err


def test_two_rules_lists_are_an_error_not_a_dropped_rule(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(
        _POLICY + "rules:\n  - id: r2\n    metric: accuracy_score\n    on: value\n"
        "    op: '<'\n    threshold: 0.1\n    severity: warn\n"
    )
    err = _cli_validate(path, capsys)
    assert f"{path}:10: invalid YAML: duplicate key 'rules' (first on line 3)" in err


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        (_POLICY.replace("threshold: 0.5", "threshold: true"), "rules.0.threshold"),
        (
            _POLICY.replace(
                "    severity: block",
                "    severity: block\n    also:\n      - {on: p_holm, op: '<', threshold: yes}",
            ),
            "threshold",
        ),
    ],
)
def test_a_boolean_is_not_a_number_in_a_policy(
    text: str, needle: str, tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(text)
    err = _cli_validate(path, capsys)
    assert needle in err and "valid number" in err


@pytest.mark.parametrize(
    "extra",
    [
        "bootstrap: {draws: true}\n",
        "bootstrap: {seed: false}\n",
        "min_group_size: true\n",
        "confidence_level: true\n",
        "underpowered_gap: true\n",
        "bins: {age: {edges: [true]}}\n",
        "bootstrap: {draws: 99999999999999}\n",
    ],
)
def test_a_boolean_or_absurd_number_is_refused_in_a_spec(
    extra: str, tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _spec_dir(tmp_path) / "spec.yaml"
    path.write_text(_SPEC + extra)
    err = _cli_validate(path, capsys)
    assert f"{path}:" in err


@pytest.mark.parametrize(
    ("model", "needle"),
    [
        ("{kind: no_such_adapter}", "no_such_adapter"),
        ("{kind: sklearn, path: m.skops, pth: x}", "Unknown key 'pth'"),
        ("{kind: openai, endpoint: 'http://h/v1', model: m, on_error: skip}", "on_error"),
        ("[1, 2]", "valid dictionary"),
    ],
)
def test_validate_rejects_what_audit_rejects(
    model: str, needle: str, tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _spec_dir(tmp_path) / "spec.yaml"
    path.write_text(_SPEC + f"model: {model}\n")
    err = _cli_validate(path, capsys)
    assert needle in err and f"{path}:5: model:" in err


def _suite(path: pathlib.Path) -> Any:
    from equilens.probes._suite import load_suite

    return load_suite(path)


def _meta(path: pathlib.Path) -> Any:
    from equilens.cards import load_meta

    return load_meta(path)


def _model_file(path: pathlib.Path) -> Any:
    from equilens._cli._models import adapter_from_file

    return adapter_from_file(str(path), "--model")


def _claims(path: pathlib.Path) -> Any:
    from equilens.cards import load_claims

    card = path.with_name("README.md")
    card.write_text("---\n" + path.read_text() + "\n---\n# card\n")
    return load_claims(card)


@pytest.mark.parametrize(
    "loader", [_suite, _meta, _model_file, _claims], ids=["suite", "meta", "model", "claims"]
)
@pytest.mark.parametrize("case", ["alias bomb", "deep flow nesting", "duplicate key"])
def test_every_loader_uses_the_safe_one(
    loader: Callable[[pathlib.Path], Any], case: str, tmp_path: pathlib.Path
) -> None:
    path = tmp_path / "file.yaml"
    path.write_text(HOSTILE[case][0])
    with pytest.raises(InvalidInputError, match="invalid YAML"):
        loader(path)


def test_a_spec_with_a_directory_for_a_file(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "spec.yaml").mkdir()
    err = _cli_validate(tmp_path / "spec.yaml", capsys)
    assert "is a directory" in err


def test_spec_text_is_dedented_fixture_sanity() -> None:
    assert textwrap.dedent(_SPEC) == _SPEC
