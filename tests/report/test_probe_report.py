"""The Probes section of the HTML report and the Markdown summary, from probe logs alone."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest

from equilens.probes import run_counterfactual, suite_from_dict
from equilens.report import render_html, render_markdown, write_report
from equilens.results import AuditLog, read_log

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'


def _hostile_suite() -> object:
    """Templates and attribute values carrying HTML and Markdown payloads."""
    return suite_from_dict(
        {
            "name": "hostile",
            "attributes": ["gender"],
            "reference": {"gender": "male"},
            "variants": [
                {"group": {"gender": "male"}, "fill": {"pronouns": "male"}},
                {"group": {"gender": "female"}, "fill": {"pronouns": "female"}},
                {"group": {"gender": IMG}, "fill": {"pronouns": "neutral"}},
            ],
            "fillers": {"n": [str(i) for i in range(15)]},
            "templates": [
                "Item {n}: " + SCRIPT + " said that {subject} was | late.",
                "Item {n}: " + IMG + " and {subject} [x](javascript:alert(1)) left.",
            ],
        }
    )


def _she(texts: list[str]) -> np.ndarray:
    """+0.3 for 'she' (+0.4 in the script template, so its pairs are the most changed)."""
    return np.array(
        [0.3 + (0.4 if "<script>" in t else 0.3) * (" she " in t) + len(t) % 5 / 50 for t in texts]
    )


@pytest.fixture(scope="module")
def hostile() -> AuditLog:
    return run_counterfactual(_she, _hostile_suite(), bootstrap=100, top_k=60).log


@pytest.fixture(scope="module")
def probe_log() -> AuditLog:
    return run_counterfactual(_she, "eec", bootstrap=100, model_name="she-model").log


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _parse(page: str) -> _Elements:
    parser = _Elements()
    parser.feed(page)
    parser.close()
    return parser


def test_probe_report_has_its_sections(probe_log: AuditLog) -> None:
    page = render_html(probe_log)
    ids = re.findall(r'<section id="([a-z]+)"', page)
    assert ids == ["summary", "probes", "comparisons", "methodology", "run"]
    # Sections that need outcomes, predictions or curves are left out, not broken.
    for absent in ("Confusion matrices", "Score curves", "the prediction", "Base rates"):
        assert absent not in page
    assert "equilens probe report" in page and "Counterfactual probe of she-model on eec" in page
    # One chart per family (gender, race, gender x race) with flip rate and shift panels.
    assert page.count('class="chart dots"') == 3
    assert "Flip rate" in page and "Mean score shift" in page
    assert "Most-changed pairs" in page
    assert probe_log.probes is not None
    top = probe_log.probes[0].most_changed[0]
    assert top.original_text in page and top.swapped_text in page


def test_probe_statistics_table(probe_log: AuditLog) -> None:
    parsed = _parse(render_html(probe_log))
    tables = [a for t, a in parsed.tags if t == "table" and "probe" in (a.get("class") or "")]
    assert len(tables) == 1
    text = "".join(parsed.text)
    assert probe_log.probes is not None
    female = next(g for g in probe_log.probes[0].groups if g.slice == {"gender": "female"})
    assert female.flip is not None and female.flip.rate is not None
    assert f"{female.flip.rate * 100:.1f}%" in text
    for head in ("p McNemar", "p flips > gap", "p mean", "p sign", "mean |shift|", "d_z"):
        assert head in text


def test_probe_payloads_render_as_text_in_html(
    hostile: AuditLog, probe_log: AuditLog, log: AuditLog
) -> None:
    page = render_html(hostile)
    for payload in (SCRIPT, IMG, "<img", "<script>alert"):
        assert payload not in page
    parsed = _parse(page)
    assert [a for t, a in parsed.tags if t == "script"] == [{"id": "equilens-report-js"}]
    assert not [t for t, _ in parsed.tags if t in ("img", "iframe", "object", "embed")]
    assert not [n for _, a in parsed.tags for n in a if n.startswith("on")]
    text = "".join(parsed.text)
    assert SCRIPT in text and IMG in text  # shown, as text (pairs, values, templates)
    assert hostile.probes is not None
    assert any(SCRIPT in p.original_text for p in hostile.probes[0].most_changed)
    assert any(IMG in p.original_text for p in hostile.probes[0].most_changed)
    # No element or attribute kinds beyond those of harmless reports.
    clean = _parse(render_html(probe_log) + render_html(log))
    assert {t for t, _ in parsed.tags} <= {t for t, _ in clean.tags}
    assert {n for _, a in parsed.tags for n in a} <= {n for _, a in clean.tags for n in a}


def test_probe_payloads_render_as_text_in_markdown(hostile: AuditLog) -> None:
    text = render_markdown(hostile, max_pairs=10)
    assert SCRIPT not in text and IMG not in text
    assert "<script" not in text.lower() and "<img" not in text.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "&quot;" not in text and '"&gt;&lt;img src=x onerror=alert(1)&gt;' in text
    assert re.search(r"(?<!\\)\]\(", text) is None  # no link can open
    assert re.findall(r"<(/?\w+)", text) == ["sub", "/sub"]
    for table in re.findall(r"(?:^\|.*\|\n)+", text, flags=re.M):
        rows = table.strip("\n").split("\n")
        assert len({len(re.findall(r"(?<!\\)\|", row)) for row in rows}) == 1, rows


def test_probe_markdown_summary(probe_log: AuditLog) -> None:
    text = render_markdown(probe_log)
    assert text.startswith("## equilens probe: Counterfactual probe of she-model on eec")
    assert "the true label" not in text and "Key metrics by group" not in text
    assert "| value | vs | pairs | flip rate (95% CI)" in text
    assert "**Most-changed pairs**" in text
    assert len(text.splitlines()) < 60


def test_probe_log_round_trip_to_report(probe_log: AuditLog, tmp_path: Path) -> None:
    paths = write_report(probe_log, tmp_path)
    again = read_log(paths["log"])
    assert again == probe_log
    assert render_html(again) == paths["html"].read_text(encoding="utf-8")
    assert render_markdown(again) == paths["markdown"].read_text(encoding="utf-8")


def _downgrade(log: AuditLog, tmp_path: Path) -> AuditLog:
    """The log as a format-1.0 file: no probe record, no effect-size fields."""
    raw = json.loads(log.to_json())
    raw["format_version"] = "1.0"
    del raw["probes"]
    for c in raw["comparisons"]:
        del c["effect_size_name"], c["effect_size"]
    path = tmp_path / "old.json"
    path.write_text(json.dumps(raw), encoding="utf-8")
    return read_log(path)


def test_old_probe_log_without_record_renders(probe_log: AuditLog, tmp_path: Path) -> None:
    old = _downgrade(probe_log, tmp_path)
    page = render_html(old)
    assert "written before probe records existed" in page
    assert 'class="chart dots"' not in page and "Comparisons with the reference group" in page
    md = render_markdown(old)
    assert "predates probe records" in md


def test_old_audit_log_renders_without_probes(log: AuditLog, tmp_path: Path) -> None:
    raw = json.loads(log.to_json())
    raw["format_version"] = "1.0"
    raw.pop("probes")
    for c in raw["comparisons"]:
        del c["effect_size_name"], c["effect_size"]
    path = tmp_path / "old.json"
    path.write_text(json.dumps(raw), encoding="utf-8")
    old = read_log(path)
    page = render_html(old)
    assert 'id="probes"' not in page and 'href="#probes"' not in page
    assert 'id="confusion"' in page
    assert render_markdown(old) == render_markdown(log)


def test_audit_with_probe_record_shows_both(log: AuditLog, probe_log: AuditLog) -> None:
    combined = log.model_copy(update={"probes": probe_log.probes})
    page = render_html(combined)
    assert 'id="probes"' in page and 'href="#probes"' in page and 'id="confusion"' in page
    assert page.index('id="comparisons"') < page.index('id="probes"')
    md = render_markdown(combined)
    assert "Key metrics by group" in md and "### Counterfactual probe of she-model" in md
