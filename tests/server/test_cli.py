"""``equilens users`` and ``equilens serve``: accounts from the command line, bad input exits 2."""

from __future__ import annotations

import io
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from equilens._cli.main import main
from equilens.server import ServerDB
from equilens.store import RunStore

SRC = Path(__file__).resolve().parents[2] / "src"


def users(argv: list[str], password: str, monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setattr(sys, "stdin", io.StringIO(password + "\n"))
    return main(["users", *argv])


def test_users_add_list_and_refusals(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    store = str(tmp_path / "h.db")
    assert (
        users(["add", "ann", "--role", "triager", "--store", store], "s3cret-pass", monkeypatch)
        == 0
    )
    assert capsys.readouterr().out == "added user ann (triager)\n"
    with RunStore(store) as opened:
        user = ServerDB(opened, lambda: None).user_by_name("ann")  # type: ignore[arg-type,return-value]
    assert user is not None and user["role"] == "triager"
    assert user["password_hash"].startswith("$argon2id$") and "s3cret" not in user["password_hash"]
    for argv, password, message in [
        (
            ["add", "ann", "--role", "viewer", "--store", store],
            "another-pass",
            "user 'ann' already exists",
        ),
        (["add", "bob", "--role", "viewer", "--store", store], "short", "8 to 1024 characters"),
        (
            ["add", "bad name", "--role", "viewer", "--store", store],
            "long-enough",
            "user name 'bad name'",
        ),
    ]:
        assert users(argv, password, monkeypatch) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and message in err[0] and password not in err[0], err
    with pytest.raises(SystemExit) as exc:
        users(["add", "bob", "--role", "wizard", "--store", store], "long-enough", monkeypatch)
    assert exc.value.code == 2
    assert "invalid choice: 'wizard'" in capsys.readouterr().err
    assert main(["users", "list", "--store", store]) == 0
    assert capsys.readouterr().out == "ann\ttriager\n"
    assert main(["users", "disable", "ghost", "--store", store]) == 2
    assert capsys.readouterr().err.strip() == "equilens: error: no user 'ghost'"
    assert main(["users", "disable", "ann", "--store", store]) == 0
    assert main(["users", "list", "--store", store]) == 0
    assert capsys.readouterr().out.endswith("ann\ttriager (disabled)\n")


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_refuses_an_unavailable_store(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cases = [
        (["--store", str(tmp_path / "missing.db")], "No run store at"),
        (["--store", str(tmp_path)], "is a directory"),
        (
            ["--store", f"postgresql://eq:pw@127.0.0.1:{_closed_port()}/db"],
            "Cannot open the run store",
        ),
        (["--store", str(tmp_path / "x.db"), "--port", "70000"], "--port must be in 1-65535"),
    ]
    for argv, message in cases:
        assert main(["serve", *argv]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and message in err[0] and ":pw@" not in err[0], err


@pytest.mark.slow
def test_serve_runs_uvicorn(tmp_path: Path) -> None:
    """The real command serves pages over HTTP and stops cleanly."""
    store = tmp_path / "h.db"
    RunStore(str(store)).close()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {"PYTHONPATH": str(SRC), "PATH": "/usr/bin:/bin"}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "equilens._cli.main",
            "serve",
            "--store",
            str(store),
            "--port",
            str(port),
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        for _ in range(150):
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        else:
            pytest.fail("the server did not start")
        assert response.json() == {"ok": True}
        login = httpx.get(f"http://127.0.0.1:{port}/login")
        assert login.status_code == 200 and "server" not in login.headers
    finally:
        proc.terminate()
        _out, err = proc.communicate(timeout=20)
    assert "Traceback" not in err, err
