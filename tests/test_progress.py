"""Progress: drawn on a terminal (stderr), nothing on a pipe or when silenced."""

from __future__ import annotations

import io

import pytest

from equilens import _progress


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_nothing_on_a_pipe(capsys: pytest.CaptureFixture[str]) -> None:
    assert not _progress.active()  # pytest captures stderr: not a terminal
    with _progress.steps("auditing") as step:
        step("reading")
    with _progress.bar("scoring", total=10) as advance:
        advance(5)
        advance(5, total=10)
    assert capsys.readouterr().err == ""


def test_drawn_on_a_terminal_unless_silenced(monkeypatch: pytest.MonkeyPatch) -> None:
    tty = _Tty()
    monkeypatch.setattr("sys.stderr", tty)
    assert _progress.active()
    with _progress.silenced():
        assert not _progress.active()
    monkeypatch.setenv("EQUILENS_PROGRESS", "0")
    assert not _progress.active()
    monkeypatch.delenv("EQUILENS_PROGRESS")
    with _progress.steps("auditing") as step:
        step("bootstrap")
        # a bar inside a spinner (model inference inside an audit step) replaces it
        with _progress.bar("model predict", total=4) as advance:
            advance(4)
    assert tty.getvalue()  # something was drawn, and it went to stderr


def test_adapter_runs_show_a_bar_only_on_a_terminal(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from equilens.adapters import progress_bar

    with progress_bar("model") as update:
        update("predict", 0, 10)
        update("predict", 10, 10)
    assert capsys.readouterr().err == ""
    tty = _Tty()
    monkeypatch.setattr("sys.stderr", tty)
    with progress_bar("model") as update:
        update("predict", 3, 10)
        update("predict", 10, 10)
    assert tty.getvalue()
