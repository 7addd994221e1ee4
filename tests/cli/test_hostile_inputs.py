# ruff: noqa: E501  (the case table keeps one case per line)
"""Every subcommand against a table of hostile inputs: exit 2, one line on stderr, no traceback.

Each case runs in-process (``main(argv)``; argparse's usage errors raise ``SystemExit(2)``);
a few run as real processes at the end. Placeholders in the argv (``{log}``, ``{csv}``, ...)
name the files of the ``files`` fixture: valid ones to pair with the hostile one, and the
hostile ones (missing, a directory, empty, binary garbage, malformed JSON/YAML, a log out of
range, ...).

Each case names the part of the tree whose check it exercises (``mine``: logs, labels,
encoding, probes; ``io``: hostile YAML, output paths, huge numbers); all must pass.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from _data import make_frame
from equilens._cli.main import main

SRC = Path(__file__).resolve().parents[2] / "src"

#: Valid logs' AUC row edited to this value.
BAD_AUC = 7.5


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    d = tmp_path_factory.mktemp("hostile")
    paths: dict[str, Path] = {}

    def put(name: str, content: str | bytes) -> None:
        path = d / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        paths[name.split(".")[0]] = path

    frame = make_frame(400, seed=9)
    put("data.csv", frame.to_csv(index=False))
    put("nansens.csv", frame.assign(race=np.nan).to_csv(index=False))
    put("ids.csv", frame.assign(row_id=[f"r{i}" for i in range(len(frame))]).to_csv(index=False))
    put("empty.csv", "")
    put("garbage.bin", bytes(range(256)) * 8)
    put("malformed.json", '{"format_version": "1.1", "results": [')
    put("notalog.json", "[1, 2, 3]")
    put("malformed.yaml", "kind: policy\nrules: [\n  - {id: x, metric: [}\n")
    put("listyaml.yaml", "- just\n- a list\n")
    put(
        "policy.yaml",
        "kind: policy\nname: p\nrules:\n  - {id: auc, metric: roc_auc_score, on: ci_low, "
        "op: '<', threshold: 0.5, severity: block}\n",
    )
    put(
        "crit.yaml",
        "kind: policy\nname: c\nrules:\n  - {id: dp, criterion: demographic_parity_difference, "
        "on: ci_high, op: '>', threshold: 0.5, severity: block}\n",
    )
    put(
        "dup.yaml",
        "kind: policy\nname: p\nrules:\n  - {id: a, metric: accuracy_score, on: value, op: '<', "
        "threshold: 0.5, severity: block}\nrules:\n  - {id: b, metric: accuracy_score, "
        "on: value, op: '<', threshold: 0.1, severity: info}\n",
    )
    # An alias bomb kept small (9**6 leaves, about 200 MB if expanded); the YAML loader's alias
    # budget refuses it (and the full bomb: tests/security/test_hostile_yaml.py).
    put("bomb.yaml", "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
        for p, c in zip("abcde", "bcdef", strict=True)
    ))  # fmt: skip
    put("badsuite.yaml", "suite: s\nversion: '1'\ncategories: {a: {}}\nrequests:\n"
        "  - {id: r, category: nope, text: t}\n")  # fmt: skip
    put("qa.jsonl", '{"question": "q?", "options": ["x", "y"], "answer": "C"}\n')
    put("qaans.jsonl", "".join(f'{{"id": "hq-{i:02d}", "answer": "A"}}\n' for i in range(1, 37)))
    out = d / "run"
    assert main(["audit", "--data", str(paths["data"]), "--y-true", "y", "--y-pred", "pred",
                 "--y-score", "score", "--sensitive", "race,sex", "--bootstrap", "20",
                 "--out", str(out), "--quiet"]) == 0  # fmt: skip
    paths["log"] = out / "audit.json"
    raw = json.loads(paths["log"].read_text(encoding="utf-8"))
    auc = next(i for i, r in enumerate(raw["results"]) if r["metric"] == "roc_auc_score")
    bad = copy.deepcopy(raw)
    bad["results"][auc]["value"] = BAD_AUC
    put("badlog.json", json.dumps(bad))
    seed = copy.deepcopy(raw)
    seed["seed"] = 10**200
    put("seedlog.json", json.dumps(seed))
    emptied = copy.deepcopy(raw)
    emptied.update(results=[], disparities=[], comparisons=[], curves=None)
    put("emptied.json", json.dumps(emptied))
    assert main(["card", str(paths["log"]), "--out", str(d / "card"), "--quiet"]) == 0
    paths["card"] = next((d / "card").glob("*.md"))
    # Ratings for `equilens agreement` (valid, one rater, an item rated once, a text score).
    put("ratings.csv", "item,rater,score\n" + "".join(
        f"i{i},r{r},{(i + r) % 3 + 1}\n" for i in range(8) for r in range(3)
    ))  # fmt: skip
    put("onerater.csv", "item,rater,score\ni1,r1,2\ni2,r1,3\n")
    put("ratedonce.csv", "item,rater,score\ni1,r1,2\ni1,r2,3\ni2,r1,1\n")
    put("textscore.csv", "item,rater,score\ni1,r1,2\ni1,r2,good\n")
    # Texts for `equilens textmetrics` (valid, an empty hypothesis).
    put(
        "texts.csv",
        "id,hyp,ref,g\n"
        + "".join(f"s{i},the cat sat {i},the cat sat on {i},{'ab'[i % 2]}\n" for i in range(8)),
    )
    put(
        "rubric.yaml", "kind: rubric\ncriteria:\n  - {name: q, scale: ordinal, values: [1, 2, 3]}\n"
    )
    put("offscale.csv", "item,rater,criterion,score\n" + "".join(
        f"s{i},r{r},q,{7 if i == 0 else 2}\n" for i in range(8) for r in range(2)
    ))  # fmt: skip
    put("emptyhyp.csv", "hyp,ref\nthe cat,the cat\n,a dog\n")
    paths["dir"] = d / "adir"
    paths["dir"].mkdir()
    paths["missing"] = d / "does-not-exist.json"
    paths["state"] = d / "state"
    assert main(["monitor", "init", "--reference", str(paths["data"]), "--y-true", "y",
                 "--y-pred", "pred", "--sensitive", "race", "--state", str(paths["state"]),
                 "--quiet"]) == 0  # fmt: skip
    paths["tmp"] = d
    out_paths = {k: str(v) for k, v in paths.items()}
    # A text model the probe cases can import (they test the options, not the model).
    (d / "hostile_models.py").write_text(
        "def scores(texts):\n    return [0.5 for _ in texts]\n", encoding="utf-8"
    )
    out_paths["models"] = "hostile_models"
    # equilens safety toxicity: generations with a score out of [0, 1] and a NaN score, a
    # scorer answering 2.0, a generator failing every prompt.
    gens = pd.DataFrame({"text": ["a", "a", "b", "b"], "continuation": list("wxyz")})
    for name, tox in (
        ("gens_ok", [0.1, 0.9, 0.2, 0.3]),
        ("gens_range", [0.1, 1.5, 0.2, 0.3]),
        ("gens_nan", [0.1, None, 0.2, 0.3]),
    ):
        (d / f"{name}.csv").write_text(gens.assign(tox=tox).to_csv(index=False), encoding="utf-8")
        out_paths[name] = str(d / f"{name}.csv")
    (d / "hostile_safety.py").write_text(
        "def scores_out_of_range(texts):\n    return [2.0 for _ in texts]\n"
        "def fails(prompts, settings=None):\n    raise RuntimeError('model down')\n",
        encoding="utf-8",
    )
    for name, body in (
        (
            "badscorer",
            "kind: callable\ninput_type: text\npredict_proba: hostile_safety:scores_out_of_range\n",
        ),
        ("failgen", "kind: callable\ninput_type: text\ngenerate: hostile_safety:fails\n"),
    ):
        (d / f"{name}.yaml").write_text(body, encoding="utf-8")
        out_paths[name] = str(d / f"{name}.yaml")
    sys.path.insert(0, str(d))
    yield out_paths
    sys.path.remove(str(d))
    sys.modules.pop("hostile_models", None)
    sys.modules.pop("hostile_safety", None)


#: (id, argv with {placeholders}, owner). Owner ``io``: fixed on the io branch.
CASES: list[tuple[str, str, str]] = [
    # top level
    ("no-command", "", "mine"),
    ("unknown-command", "frobnicate", "mine"),
    ("unknown-option", "--frobnicate", "mine"),
    # audit
    ("audit-missing-data", "audit --data {missing} --y-true y --y-pred pred --sensitive race --out {tmp}/a", "mine"),
    ("audit-dir-data", "audit --data {dir} --y-true y --y-pred pred --sensitive race --out {tmp}/a", "mine"),
    ("audit-empty-data", "audit --data {empty} --y-true y --y-pred pred --sensitive race --out {tmp}/a", "mine"),
    ("audit-garbage-data", "audit --data {garbage} --y-true y --y-pred pred --sensitive race --out {tmp}/a", "mine"),
    ("audit-missing-column", "audit --data {data} --y-true nope --y-pred pred --sensitive race --out {tmp}/a", "mine"),
    ("audit-missing-sensitive", "audit --data {data} --y-true y --y-pred pred --sensitive nope --out {tmp}/a", "mine"),
    ("audit-all-nan-sensitive", "audit --data {nansens} --y-true y --y-pred pred --sensitive race --out {tmp}/a", "mine"),
    ("audit-unknown-option", "audit --data {data} --frobnicate", "mine"),
    ("audit-negative-bootstrap", "audit --data {data} --y-true y --y-pred pred --sensitive race --bootstrap -5 --out {tmp}/a", "mine"),
    ("audit-not-int-bootstrap", "audit --data {data} --y-true y --y-pred pred --sensitive race --bootstrap lots --out {tmp}/a", "mine"),
    ("audit-huge-bootstrap", "audit --data {data} --y-true y --y-pred pred --sensitive race --bootstrap 99999999999999 --out {tmp}/a", "io"),
    ("audit-negative-seed", "audit --data {data} --y-true y --y-pred pred --sensitive race --seed -1 --out {tmp}/a", "mine"),
    ("audit-confidence", "audit --data {data} --y-true y --y-pred pred --sensitive race --confidence 1.5 --out {tmp}/a", "mine"),
    ("audit-spec-missing", "audit {missing}", "mine"),
    ("audit-spec-malformed", "audit {malformed}", "mine"),
    ("audit-spec-garbage", "audit {garbage}", "mine"),
    ("audit-spec-dir", "audit {dir}", "mine"),
    ("audit-bad-show", "audit --data {data} --y-true y --y-pred pred --sensitive race --show everything --out {tmp}/a", "mine"),
    ("audit-mlflow-bad-uri", "audit --data {data} --y-true y --y-pred pred --sensitive race --mlflow-uri nosuch://u:sekret@h/x --out {tmp}/a", "io"),
    ("audit-bad-format", "audit --data {data} --y-true y --y-pred pred --sensitive race --format yaml --out {tmp}/a", "mine"),
    ("audit-out-is-file", "audit --data {data} --y-true y --y-pred pred --sensitive race --bootstrap 0 --out {data}", "mine"),
    # validate
    ("validate-missing", "validate {missing}", "mine"),
    ("validate-dir", "validate {dir}", "mine"),
    ("validate-empty", "validate {empty}", "mine"),
    ("validate-garbage", "validate {garbage}", "mine"),
    ("validate-malformed", "validate {malformed}", "mine"),
    ("validate-list", "validate {listyaml}", "mine"),
    ("validate-duplicate-keys", "validate {dup}", "io"),
    ("validate-alias-bomb", "validate {bomb}", "io"),
    # report
    ("report-missing", "report {missing} --out {tmp}/r1", "mine"),
    ("report-dir", "report {dir} --out {tmp}/r2", "mine"),
    ("report-empty", "report {empty} --out {tmp}/r3", "mine"),
    ("report-garbage", "report {garbage} --out {tmp}/r4", "mine"),
    ("report-malformed", "report {malformed} --out {tmp}/r5", "mine"),
    ("report-not-a-log", "report {notalog} --out {tmp}/r6", "mine"),
    ("report-out-of-range", "report {badlog} --out {tmp}/r7", "mine"),
    ("report-huge-seed", "report {seedlog} --out {tmp}/r8", "mine"),
    ("report-out-is-file", "report {log} --out {data}", "mine"),
    # gate
    ("gate-missing-log", "gate {missing} --policy {policy} --dry-run", "mine"),
    ("gate-garbage-log", "gate {garbage} --policy {policy} --dry-run", "mine"),
    ("gate-out-of-range", "gate {badlog} --policy {policy} --dry-run", "mine"),
    ("gate-emptied-results", "gate {emptied} --policy {policy} --dry-run", "mine"),
    ("gate-emptied-criteria", "gate {emptied} --policy {crit} --dry-run", "mine"),
    ("gate-missing-policy", "gate {log} --policy {missing} --dry-run", "mine"),
    ("gate-dir-policy", "gate {log} --policy {dir} --dry-run", "mine"),
    ("gate-empty-policy", "gate {log} --policy {empty} --dry-run", "mine"),
    ("gate-garbage-policy", "gate {log} --policy {garbage} --dry-run", "mine"),
    ("gate-malformed-policy", "gate {log} --policy {malformed} --dry-run", "mine"),
    ("gate-bad-date", "gate {log} --policy {policy} --dry-run --as-of 2025-13-45", "mine"),
    ("gate-no-policy", "gate {log}", "mine"),
    ("gate-store-garbage", "gate {log} --policy {policy} --store {garbage}", "mine"),
    ("gate-json-out-dir", "gate {log} --policy {policy} --dry-run --json {dir}", "io"),
    ("gate-missing-agreement", "gate {log} --policy {policy} --dry-run --agreement {missing}", "mine"),
    ("gate-garbage-agreement", "gate {log} --policy {policy} --dry-run --agreement {garbage}", "mine"),
    ("gate-log-as-agreement", "gate {log} --policy {policy} --dry-run --agreement {log}", "mine"),
    # history
    ("history-store-garbage", "history --store {garbage}", "mine"),
    ("history-negative-limit", "history --store {tmp}/h.db --limit -1", "mine"),
    ("verify-history-store-garbage", "verify-history --store {garbage}", "mine"),
    ("verify-history-bad-url", "verify-history --store nosuchdb://x", "mine"),
    # compare
    ("compare-missing", "compare {missing} {log}", "mine"),
    ("compare-garbage", "compare {log} {garbage}", "mine"),
    ("compare-out-of-range", "compare {log} {badlog}", "mine"),
    ("compare-malformed", "compare {malformed} {log}", "mine"),
    ("compare-bad-names", "compare {log} {log} --names onlyone", "mine"),
    ("compare-bad-methods", "compare {log} {log} --methods nope", "mine"),
    ("compare-data-missing", "compare {log} {log} --data {missing} --base-pred pred --candidate-pred pred", "mine"),
    # mitigate
    ("mitigate-no-data", "mitigate --sensitive race --method equal_fpr", "mine"),
    ("mitigate-missing-data", "mitigate {missing} --y-true y --sensitive race --method equal_fpr --score score --out {tmp}/m1", "mine"),
    ("mitigate-unknown-method", "mitigate {data} --y-true y --sensitive race --method nope --score score --out {tmp}/m2", "mine"),
    ("mitigate-missing-score", "mitigate {data} --y-true y --sensitive race --method equal_fpr --score nope --out {tmp}/m3", "mine"),
    ("mitigate-no-estimator", "mitigate {data} --y-true y --sensitive race --method reweighing --out {tmp}/m4", "mine"),
    ("mitigate-bad-constraint", "mitigate {data} --y-true y --sensitive race --method equal_fpr --score score --constraint fair --out {tmp}/m5", "mine"),
    ("mitigate-missing-sensitive", "mitigate {data} --y-true y --sensitive nope --method equal_fpr --score score --out {tmp}/m6", "mine"),
    ("mitigate-log-garbage", "mitigate --log {garbage} --sensitive race --method equal_fpr", "mine"),
    ("mitigate-log-method", "mitigate --log {log} --sensitive race --method reweighing", "mine"),
    ("mitigate-log-feature", "mitigate --log {log} --sensitive nope --method equal_fpr", "mine"),
    ("mitigate-estimator-missing", "mitigate {data} --y-true y --sensitive race --method reweighing --estimator {missing} --out {tmp}/m7", "mine"),
    ("mitigate-bad-slacks", "mitigate {data} --y-true y --sensitive race --method equal_fpr --score score --slacks lots --out {tmp}/m8", "mine"),
    ("mitigate-stray-bins", "mitigate {data} --y-true y --sensitive race --bins sex=1 --method equal_fpr --score score --out {tmp}/m9", "mine"),
    ("mitigate-one-fold", "mitigate {data} --y-true y --sensitive race --method equal_fpr --score score --folds 1 --out {tmp}/m10", "mine"),
    ("mitigate-out-is-file", "mitigate {data} --y-true y --sensitive race --method equal_fpr --score score --out {data}", "mine"),
    # monitor
    ("monitor-no-action", "monitor", "mine"),
    ("monitor-init-missing", "monitor init --reference {missing} --y-true y --y-pred pred --sensitive race --state {tmp}/s1", "mine"),
    ("monitor-init-garbage", "monitor init --reference {garbage} --y-true y --y-pred pred --sensitive race --state {tmp}/s2", "mine"),
    ("monitor-init-column", "monitor init --reference {data} --y-true nope --y-pred pred --sensitive race --state {tmp}/s3", "mine"),
    ("monitor-init-all-nan", "monitor init --reference {nansens} --y-true y --y-pred pred --sensitive race --state {tmp}/s4", "mine"),
    ("monitor-init-alpha", "monitor init --reference {data} --y-true y --y-pred pred --sensitive race --alpha 7 --state {tmp}/s5", "mine"),
    ("monitor-ingest-missing-batch", "monitor ingest --state {state} --no-store {missing}", "mine"),
    ("monitor-ingest-garbage-batch", "monitor ingest --state {state} --no-store {garbage}", "mine"),
    ("monitor-ingest-no-state", "monitor ingest --state {dir} --no-store {data}", "mine"),
    ("monitor-status-no-state", "monitor status --state {missing}", "mine"),
    ("monitor-status-looks", "monitor status --state {state} --looks -3", "mine"),
    # speech
    ("speech-manifest-missing", "speech --manifest {missing} --hypothesis pred --reference-column y --group race --out {tmp}/sp1", "mine"),
    ("speech-manifest-garbage", "speech --manifest {garbage} --hypothesis pred --reference-column y --group race --out {tmp}/sp2", "mine"),
    ("speech-manifest-empty", "speech --manifest {empty} --hypothesis pred --reference-column y --group race --out {tmp}/sp3", "mine"),
    ("speech-column-missing", "speech --manifest {data} --hypothesis pred --reference-column y --group race --speaker nope --out {tmp}/sp4", "mine"),
    ("speech-no-group", "speech --manifest {data} --hypothesis pred --reference-column y --no-cluster --out {tmp}/sp5", "mine"),
    ("speech-max-skip", "speech --manifest {data} --hypothesis pred --reference-column y --group race --no-cluster --max-skip 7 --out {tmp}/sp6", "mine"),
    ("speech-asr-model-missing", "speech --manifest {data} --reference-column y --group race --no-cluster --asr-model {missing} --out {tmp}/sp7", "mine"),
    ("speech-out-is-file", "speech --manifest {data} --hypothesis pred --reference-column y --group race --no-cluster --out {data}", "mine"),
    ("speech-asr-workers-zero", "speech --manifest {data} --hypothesis pred --reference-column y --group race --no-cluster --asr-workers 0 --out {tmp}/sp8", "mine"),
    ("speech-asr-workers-huge", "speech --manifest {data} --hypothesis pred --reference-column y --group race --no-cluster --asr-workers 100000 --out {tmp}/sp9", "mine"),
    # images
    ("images-manifest-missing", "images --manifest {missing} --prediction pred --label-column y --out {tmp}/im1", "mine"),
    ("images-manifest-garbage", "images --manifest {garbage} --prediction pred --label-column y --out {tmp}/im2", "mine"),
    ("images-column-missing", "images --manifest {data} --prediction pred --label-column nope --out {tmp}/im3", "mine"),
    ("images-no-model", "images --manifest {data} --label-column y --out {tmp}/im4", "mine"),
    ("images-onnx-missing", "images --manifest {data} --onnx {missing} --label-column y --out {tmp}/im5", "mine"),
    ("images-onnx-garbage", "images --manifest {data} --onnx {garbage} --label-column y --out {tmp}/im6", "mine"),
    ("images-callable-bad", "images --manifest {data} --callable nosuchmodule:f --label-column y --out {tmp}/im7", "mine"),
    ("images-bad-size", "images --manifest {data} --prediction pred --label-column y --size 28 --out {tmp}/im8", "mine"),
    ("images-bad-perturb", "images --manifest {data} --prediction pred --label-column y --perturb gamma=2 --out {tmp}/im9", "mine"),
    ("images-array-garbage", "images --manifest {data} --prediction pred --label-column y --array {garbage} --out {tmp}/im11", "mine"),
    ("images-all-unreadable", "images --manifest {data} --prediction pred --label-column y --image-column race --out {tmp}/im10", "mine"),
    # card, datasheet, check-claims
    ("card-missing", "card {missing} --out {tmp}/c1", "mine"),
    ("card-garbage", "card {garbage} --out {tmp}/c2", "mine"),
    ("card-out-of-range", "card {badlog} --out {tmp}/c3", "mine"),
    ("card-garbage-agreement", "card {log} --agreement {garbage} --out {tmp}/c4", "mine"),
    ("card-meta-malformed", "card {log} --meta {malformed} --out {tmp}/c4", "mine"),
    ("card-meta-garbage", "card {log} --meta {garbage} --out {tmp}/c5", "mine"),
    ("card-decision-garbage", "card {log} --decision {garbage} --out {tmp}/c6", "mine"),
    ("card-policy-malformed", "card {log} --policy {malformed} --out {tmp}/c7", "mine"),
    ("card-out-is-file", "card {log} --out {data}", "io"),
    ("datasheet-missing", "datasheet {missing} --sensitive race --out {tmp}/d1", "mine"),
    ("datasheet-garbage", "datasheet {garbage} --sensitive race --out {tmp}/d2", "mine"),
    ("datasheet-column", "datasheet {data} --sensitive nope --out {tmp}/d3", "mine"),
    ("datasheet-min-group", "datasheet {data} --sensitive race --min-group-size -4 --out {tmp}/d4", "mine"),
    ("check-claims-missing-card", "check-claims {missing} {log}", "mine"),
    ("check-claims-garbage-card", "check-claims {garbage} {log}", "mine"),
    ("check-claims-out-of-range", "check-claims {card} {badlog}", "mine"),
    ("check-claims-width", "check-claims {card} {log} --max-ci-width -1", "mine"),
    # safety
    ("safety-no-kind", "safety", "mine"),
    ("safety-tox-no-source", "safety toxicity --out {tmp}/s0", "mine"),
    ("safety-tox-empty-prompts", "safety toxicity --model {failgen} --prompts {empty} --out {tmp}/s1", "mine"),
    ("safety-tox-no-text-column", "safety toxicity --model {failgen} --prompts {data} --out {tmp}/s2", "mine"),
    ("safety-tox-k0", "safety toxicity --model {failgen} --k 0 --out {tmp}/s3", "mine"),
    ("safety-tox-model-fails", "safety toxicity --model {failgen} --k 2 --no-cache --out {tmp}/s4", "mine"),
    ("safety-tox-unknown-model", "safety toxicity --model nosuch --out {tmp}/s5", "mine"),
    ("safety-tox-score-range", "safety toxicity --generations {gens_range} --score-column tox --out {tmp}/s6", "mine"),
    ("safety-tox-score-nan", "safety toxicity --generations {gens_nan} --score-column tox --out {tmp}/s7", "mine"),
    ("safety-tox-scorer-range", "safety toxicity --generations {gens_ok} --scorer {badscorer} --out {tmp}/s8", "mine"),
    ("safety-tox-http-scorer-down", "safety toxicity --generations {gens_ok} --scorer perspective:http://127.0.0.1:9/x --scorer-retries 0 --out {tmp}/s9", "mine"),
    ("safety-tox-generations-missing", "safety toxicity --generations {missing} --out {tmp}/s10", "mine"),
    ("safety-tox-budget", "safety toxicity --model {failgen} --budget 0 --out {tmp}/s11", "mine"),
    ("safety-tox-validation-garbage", "safety toxicity --generations {gens_ok} --score-column tox --validation {garbage} --out {tmp}/s12", "mine"),
    # probe
    ("probe-no-kind", "probe", "mine"),
    ("probe-unknown-model", "probe counterfactual --model nope --suite profession_gender --out {tmp}/p1", "mine"),
    ("probe-unknown-suite", "probe counterfactual --model {models}:scores --suite nosuchsuite --out {tmp}/p2", "mine"),
    ("probe-texts-missing", "probe counterfactual --model {models}:scores --texts {missing} --out {tmp}/p3", "mine"),
    ("probe-texts-garbage", "probe counterfactual --model {models}:scores --texts {garbage} --out {tmp}/p3b", "mine"),
    ("probe-model-missing-attr", "probe counterfactual --model {models}:nope --suite profession_gender --out {tmp}/p3c", "mine"),
    ("probe-bootstrap", "probe counterfactual --model {models}:scores --suite profession_gender --bootstrap -1 --out {tmp}/p3d", "mine"),
    ("probe-confidence", "probe counterfactual --model {models}:scores --suite profession_gender --confidence 2 --out {tmp}/p3e", "mine"),
    ("probe-top-k", "probe identity --model {models}:scores --suite identity_toxicity --top-k -1 --out {tmp}/p4", "mine"),
    ("probe-stereotype-limit", "probe stereotype --model {models}:scores --benchmark crows_pairs --limit -1 --out {tmp}/p5", "mine"),
    ("probe-stereotype-benchmark", "probe stereotype --model {models}:scores --benchmark nosuch --out {tmp}/p6", "mine"),
    # serve, users
    ("serve-missing-store", "serve --store {missing}", "mine"),
    ("serve-dir-store", "serve --store {dir}", "mine"),
    ("serve-port", "serve --store {missing} --port 0", "mine"),
    ("users-no-action", "users", "mine"),
    ("users-bad-role", "users add bob --role wizard --store {tmp}/u.db", "mine"),
    ("users-bad-name", "users add bad/name --role viewer --store {tmp}/u.db", "mine"),
    # slices
    ("slices-missing-data", "slices --data {missing} --features race,sex --y-true y --y-pred pred --out {tmp}/s1", "mine"),
    ("slices-id-feature", "slices --data {ids} --features race,row_id --y-true y --y-pred pred --out {tmp}/s2", "mine"),
    ("slices-unknown-feature", "slices --data {data} --features race,nope --y-true y --y-pred pred --out {tmp}/s3", "mine"),
    ("slices-min-support", "slices --data {data} --features race,sex --y-true y --y-pred pred --min-support 100000 --out {tmp}/s4", "mine"),
    ("slices-metric-for-task", "slices --data {data} --features race,sex --y-true y --y-pred pred --metric absolute_error --out {tmp}/s5", "mine"),
    ("slices-policy-without-rules", "slices --data {data} --features race,sex --y-true y --y-pred pred --policy {policy} --out {tmp}/s6", "mine"),
    ("slices-out-is-file", "slices --data {data} --features race,sex --y-true y --y-pred pred --out {data}", "io"),
    # safety
    ("safety-no-sub", "safety", "mine"),
    ("safety-redteam-unknown-suite", "safety redteam --suite insurance --answers {data} --out {tmp}/s1", "mine"),
    ("safety-redteam-schema", "safety redteam --suite {badsuite} --answers {data} --out {tmp}/s2", "mine"),
    ("safety-redteam-empty-suite", "safety redteam --suite {empty} --answers {data} --out {tmp}/s3", "mine"),
    ("safety-redteam-garbage-suite", "safety redteam --suite {garbage} --answers {data} --out {tmp}/s4", "mine"),
    ("safety-redteam-answers-missing", "safety redteam --suite financial --answers {missing} --out {tmp}/s5", "mine"),
    ("safety-redteam-answers-malformed", "safety redteam --suite financial --answers {malformed} --out {tmp}/s6", "mine"),
    ("safety-redteam-no-model", "safety redteam --suite financial --out {tmp}/s7", "mine"),
    ("safety-redteam-judge-no-spec", "safety redteam --suite financial --answers {data} --grader judge --out {tmp}/s8", "mine"),
    ("safety-redteam-grader", "safety redteam --suite financial --answers {data} --grader vibes --out {tmp}/s9", "mine"),
    ("safety-redteam-out-is-file", "safety redteam --suite financial --answers {data} --out {data}", "mine"),
    ("safety-redteam-model-spec", "safety redteam --suite financial --model {malformed} --out {tmp}/s10", "mine"),
    ("safety-qa-missing", "safety qa --questions {missing} --answers {data} --out {tmp}/q1", "mine"),
    ("safety-qa-bad-answer", "safety qa --questions {qa} --answers {data} --out {tmp}/q2", "mine"),
    ("safety-qa-garbage", "safety qa --questions {garbage} --answers {data} --out {tmp}/q3", "mine"),
    ("safety-qa-answers-malformed", "safety qa --questions history --answers {malformed} --out {tmp}/q4", "mine"),
    ("safety-qa-unknown-slice", "safety qa --questions history --answers {qaans} --slices nosuch --out {tmp}/q6", "mine"),
    ("safety-qa-limit", "safety qa --questions history --limit 0 --answers {data} --out {tmp}/q5", "mine"),
    # demo
    ("demo-only", "demo --only nosuch", "mine"),
    ("demo-bootstrap", "demo --bootstrap -1 --out {tmp}/demo", "mine"),
    ("demo-out-is-file", "demo --only compas --bootstrap 0 --out {data}", "io"),
    # agreement
    ("agreement-one-rater", "agreement --ratings {onerater} --item item --rater rater --score score --level ordinal --out {tmp}/ag", "mine"),
    ("agreement-rated-once", "agreement --ratings {ratedonce} --item item --rater rater --score score --level ordinal --out {tmp}/ag", "mine"),
    ("agreement-text-score", "agreement --ratings {textscore} --item item --rater rater --score score --level interval --out {tmp}/ag", "mine"),
    ("agreement-missing-column", "agreement --ratings {ratings} --item nope --rater rater --score score --level ordinal --out {tmp}/ag", "mine"),
    ("agreement-bad-level", "agreement --ratings {ratings} --item item --rater rater --score score --level fuzzy --out {tmp}/ag", "mine"),
    ("agreement-garbage", "agreement --ratings {garbage} --item item --rater rater --score score --level nominal --out {tmp}/ag", "mine"),
    # textmetrics
    ("textmetrics-empty-hypothesis", "textmetrics --data {emptyhyp} --hypothesis hyp --reference ref --out {tmp}/tm", "mine"),
    ("textmetrics-missing-column", "textmetrics --data {texts} --hypothesis nope --reference ref --out {tmp}/tm", "mine"),
    ("textmetrics-unknown-metric", "textmetrics --data {texts} --hypothesis hyp --reference ref --metrics bleu,meteor --out {tmp}/tm", "mine"),
    ("textmetrics-no-reference", "textmetrics --data {texts} --hypothesis hyp --metrics bleu --out {tmp}/tm", "mine"),
    ("textmetrics-garbage", "textmetrics --data {garbage} --hypothesis hyp --reference ref --out {tmp}/tm", "mine"),
    ("textmetrics-rating-off-scale", "textmetrics --data {texts} --hypothesis hyp --reference ref --metrics chrf --id id --ratings {offscale} --rubric {rubric} --out {tmp}/tm", "mine"),
    ("textmetrics-malformed-rubric", "textmetrics --data {texts} --hypothesis hyp --reference ref --metrics chrf --id id --ratings {offscale} --rubric {malformed} --out {tmp}/tm", "mine"),
    ("textmetrics-ratings-without-rubric", "textmetrics --data {texts} --hypothesis hyp --reference ref --metrics chrf --id id --ratings {offscale} --out {tmp}/tm", "mine"),
    ("textmetrics-bad-bertscore-model", "textmetrics --data {texts} --hypothesis hyp --reference ref --metrics bertscore --bertscore-model {missing} --out {tmp}/tm", "mine"),
    ("agreement-out-is-file", "agreement --ratings {ratings} --item item --rater rater --score score --level nominal --out {data}", "mine"),
]  # fmt: skip


def _argv(template: str, files: dict[str, str]) -> list[str]:
    return [part.format(**files) for part in template.split()]


def _run(argv: list[str]) -> int:
    try:
        return main(argv)
    except SystemExit as exc:  # argparse usage errors
        return int(exc.code or 0)


def _params() -> list[object]:
    out: list[object] = []
    for case_id, template, owner in CASES:
        assert owner in ("mine", "io"), case_id
        out.append(pytest.param(template, id=case_id))
    return out


@pytest.mark.parametrize("template", _params())
def test_hostile_input_exits_2_with_one_line(
    template: str, files: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    argv = _argv(template, files)
    capsys.readouterr()
    code = _run(argv)
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert "Traceback" not in err, err
    assert code == 2, (code, err)
    assert len(lines) == 1, lines
    assert lines[0].startswith("equilens"), lines[0]


def test_every_subcommand_is_in_the_table() -> None:
    from equilens._cli.main import _COMMANDS

    covered = {template.split()[0] for _, template, _ in CASES if template}
    assert set(_COMMANDS) <= covered, set(_COMMANDS) - covered


def _subprocess(argv: list[str]) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": f"{SRC}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    return subprocess.run(
        [sys.executable, "-m", "equilens._cli.main", *argv],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize(
    "template",
    [
        "gate {badlog} --policy {policy} --dry-run",
        "audit --data {garbage} --y-true y --y-pred pred --sensitive race",
        "report --frobnicate {log}",
    ],
)
def test_as_a_real_process(template: str, files: dict[str, str]) -> None:
    proc = _subprocess(_argv(template, files))
    assert proc.returncode == 2, proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert "Traceback" not in proc.stderr


def test_the_out_of_range_message_names_file_and_field(
    files: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run(_argv("report {badlog} --out {tmp}/named", files)) == 2
    err = capsys.readouterr().err.strip()
    assert f"{files['badlog']}: results[" in err
    assert f"].value: {BAD_AUC} is outside [0, 1] for roc_auc_score" in err


def test_valid_inputs_pass_so_the_table_can_fail(
    files: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    """The valid files behind the table work: each hostile case differs in one input."""
    assert _run(_argv("validate {policy}", files)) == 0
    assert _run(_argv("gate {log} --policy {crit} --dry-run --quiet", files)) in (0, 1)
    assert _run(_argv("report {log} --out {tmp}/ok --quiet", files)) == 0
    assert _run(_argv("compare {log} {log} --quiet", files)) == 0
    assert _run(_argv("check-claims {card} {log} --quiet", files)) in (0, 1)
    assert _run(_argv("monitor status --state {state}", files)) == 0
    slices = "slices --data {data} --features race,sex --y-true y --y-pred pred --out {tmp}/sok"
    assert _run(_argv(f"{slices} --quiet", files)) == 0
    assert (
        _run(
            _argv(
                "textmetrics --data {texts} --hypothesis hyp --reference ref --sensitive g --bootstrap 20 --trials 20 --min-group-size 2 --out {tmp}/tmok",
                files,
            )
        )
        == 0
    )
    assert (
        _run(
            _argv(
                "agreement --ratings {ratings} --item item --rater rater --score score --level ordinal --bootstrap 50 --out {tmp}/agok",
                files,
            )
        )
        == 0
    )
    frame = pd.read_csv(files["data"])
    assert len(frame) == 400
