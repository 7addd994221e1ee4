"""Parsing of CLI option values shared by subcommands (one-line errors naming the option)."""

from __future__ import annotations

from pathlib import Path

from equilens._files import path_problem
from equilens.exceptions import InvalidParameterError


def split_list(value: str | None) -> list[str]:
    """'a,b, c' -> ['a', 'b', 'c']."""
    if not value:
        return []
    return [v.strip() for v in value.split(",") if v.strip()]


def parse_pairs(values: list[str] | None, option: str) -> dict[str, str]:
    """['race=Caucasian', 'sex=Male'] -> {'race': 'Caucasian', 'sex': 'Male'}."""
    out: dict[str, str] = {}
    for item in values or []:
        key, sep, val = item.partition("=")
        if not sep or not key.strip():
            raise InvalidParameterError(f"{option} expects FEATURE=VALUE, got '{item}'")
        out[key.strip()] = val.strip()
    return out


def parse_bins(values: list[str] | None) -> dict[str, list[float]]:
    """['age=25,45'] -> {'age': [25.0, 45.0]}."""
    out: dict[str, list[float]] = {}
    for key, val in parse_pairs(values, "--bins").items():
        try:
            out[key] = [float(v) for v in split_list(val)]
        except ValueError:
            raise InvalidParameterError(
                f"--bins expects FEATURE=EDGE,EDGE,... with numbers, got '{key}={val}'"
            ) from None
    return out


def check_draws(value: int, option: str = "--bootstrap") -> int:
    """A number of bootstrap draws within [0, MAX_BOOTSTRAP_DRAWS]."""
    from equilens.spec import MAX_BOOTSTRAP_DRAWS

    if not 0 <= value <= MAX_BOOTSTRAP_DRAWS:
        raise InvalidParameterError(
            f"{option} must be between 0 and {MAX_BOOTSTRAP_DRAWS:,}, got {value}"
        )
    return value


def output_dir(value: str | Path, option: str) -> Path:
    """The output folder ``value`` of ``option``, refused now (one line) if it cannot be one."""
    problem = path_problem(value, directory=True)
    if problem is not None:
        raise InvalidParameterError(f"{option} {value} {_phrase(problem)}")
    return Path(value)


def output_file(value: str | Path | None, option: str) -> Path | None:
    """The output file ``value`` of ``option``, refused now (one line) if it cannot be written."""
    if value is None or value == "":
        return None
    problem = path_problem(value, directory=False)
    if problem is not None:
        raise InvalidParameterError(f"{option} {value} {_phrase(problem)}")
    return Path(value)


def _phrase(problem: str) -> str:
    # path_problem says "exists and ..." / "is ..." of the path itself, else names a folder.
    return problem if problem.startswith(("exists", "is ")) else f"cannot be written: {problem}"
