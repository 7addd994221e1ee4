"""Parsing of CLI option values shared by subcommands (one-line errors naming the option)."""

from __future__ import annotations

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
