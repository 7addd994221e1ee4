"""Speech and images logs through the release gate and the model card (issue 16, item 4)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from equilens._cli.main import main
from equilens.speech import SYNTHETIC_NOTE

WORDS = ["the", "cat", "sat", "on", "a", "mat", "while", "seven", "dogs", "ran", "past"]


def _manifest(path: Path, drops: dict[str, float], n_speakers: int = 30, per: int = 4) -> Path:
    rng = np.random.default_rng(11)
    rows = []
    for s in range(n_speakers):
        accent = list(drops)[s % len(drops)]
        for u in range(per):
            ref = " ".join(rng.choice(WORDS, size=int(rng.integers(4, 10))))
            hyp = " ".join(w for w in ref.split() if rng.random() > drops[accent])
            if u == 0 and s == 0:
                hyp = "<script>alert(1)</script>"  # shown in the worst utterances: escaped
            rows.append({"reference": ref, "hyp": hyp, "speaker": f"s{s}", "accent": accent})
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def _speech_log(tmp_path: Path, drops: dict[str, float]) -> Path:
    tmp_path.mkdir(exist_ok=True)
    manifest = _manifest(tmp_path / "m.csv", drops)
    out = tmp_path / "sp"
    argv = ["speech", "--manifest", str(manifest), "--group", "accent", "--hypothesis", "hyp",
            "--reference", "accent=north", "--synthetic", "--keep-punctuation", "--out",
            str(out), "--quiet", "--no-cache"]  # fmt: skip
    assert main(argv) == 0
    return out / "audit.json"


def _policy(tmp_path: Path, rule: str) -> Path:
    text = f"kind: policy\nformat_version: 1\nname: wer\nrules:\n  - {rule}\n"
    (tmp_path / "policy.yaml").write_text(text)
    return tmp_path / "policy.yaml"


CEILING = (
    '{id: wer-ceiling, metric: ratio_of_sums, on: ci_high, op: ">", threshold: 0.3, '
    "severity: block}"
)
GAP = (
    "{id: wer-gap, comparison: ratio_of_sums, on: difference, op: '>', threshold: 0.05, "
    "also: [{on: p_holm, op: '<', threshold: 0.05}], severity: block}"
)


@pytest.mark.parametrize("rule", [CEILING, GAP])
def test_gate_blocks_a_high_or_gapped_wer_and_passes_an_even_one(tmp_path: Path, rule: str) -> None:
    policy = _policy(tmp_path, rule)
    bad = _speech_log(tmp_path / "bad", {"north": 0.05, "south": 0.45, "west": 0.08})
    even = _speech_log(tmp_path / "even", {"north": 0.05, "south": 0.05, "west": 0.05})
    assert main(["gate", str(bad), "--policy", str(policy), "--dry-run", "--quiet"]) == 1
    assert main(["gate", str(even), "--policy", str(policy), "--dry-run", "--quiet"]) == 0


def test_a_rule_on_wer_by_name_is_one_line_that_points_to_ratio_of_sums(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = _speech_log(tmp_path, {"north": 0.05, "south": 0.1})
    policy = _policy(tmp_path, CEILING.replace("ratio_of_sums", "wer"))
    assert main(["gate", str(log), "--policy", str(policy), "--dry-run"]) == 2
    err = capsys.readouterr().err.strip()
    assert "'ratio_of_sums'" in err and "Traceback" not in err and "\n" not in err


def test_card_renders_a_speech_log_with_its_notes_settings_and_escaped_examples(
    tmp_path: Path,
) -> None:
    log = _speech_log(tmp_path, {"north": 0.05, "south": 0.45, "west": 0.08})
    policy = _policy(tmp_path, CEILING)
    out = tmp_path / "card"
    assert main(["card", str(log), "--policy", str(policy), "--out", str(out), "--quiet"]) == 0
    md = (out / "model_card.md").read_text()
    page = (out / "model_card.html").read_text()
    assert "## Media inputs" in md and "character error rate" in md
    assert "speech transcripts" in md and "precomputed column 'hyp'" in md
    for text in (md, page):
        assert SYNTHETIC_NOTE.split(":")[0] in text  # the synthetic-accent caveat is carried
    assert 'id="media"' in page and "<script>alert" not in page
    assert "&lt;script&gt;alert(one)&lt;/script&gt;" in page  # numbers as words
    assert "http://" not in page and "https://" not in page.replace("https://huggingface", "")


def test_card_renders_an_images_log_with_inline_thumbnails(tmp_path: Path) -> None:
    rng = np.random.default_rng(2)
    n = 90
    x = rng.uniform(0, 1, size=(n, 12, 12)).astype(np.float32)
    labels = np.array(["a", "b", "c"])[rng.integers(0, 3, n)]
    pred = np.where(rng.random(n) < 0.7, labels, "a")
    np.save(tmp_path / "x.npy", x)
    site = np.array(["p", "q"])[np.arange(n) % 2]
    pd.DataFrame({"label": labels, "pred": pred, "site": site}).to_csv(tmp_path / "m.csv")
    argv = ["images", "--manifest", str(tmp_path / "m.csv"), "--prediction", "pred", "--array",
            str(tmp_path / "x.npy"), "--group", "site", "--out", str(tmp_path / "im"), "--quiet",
            "--no-cache"]  # fmt: skip
    assert main(argv) == 0
    out = tmp_path / "card"
    assert main(["card", str(tmp_path / "im" / "audit.json"), "--out", str(out), "--quiet"]) == 0
    md = (out / "model_card.md").read_text()
    page = (out / "model_card.html").read_text()
    assert "### Images" in md and "90 of 90 images scored" in md
    assert "images predictions" in md
    assert 'id="media"' in page and 'src="data:image/png;base64,' in page
