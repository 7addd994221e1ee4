"""The image audit: manifest -> images -> predictions -> outcomes by group and condition.

Predictions (from an :class:`~equilens.adapters.ImageClassifier`, or a manifest column) are
audited with the multiclass task (or binary, for two classes) by the user's group columns
and by condition bands computed from the images themselves. Counterfactual perturbations of
the same images are paired probes (McNemar on correctness flips). Images that fail to decode
or have the wrong size are skipped with a reason each; the run fails past ``max_skip``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from equilens.adapters import ImageClassifier, ImagePredictions, OutputCache, predict_images
from equilens.audit import audit
from equilens.exceptions import InvalidInputError, InvalidParameterError
from equilens.images._conditions import condition_bands, condition_values
from equilens.images._perturb import PERTURBATIONS, Perturbation, perturbation_probes
from equilens.images._pixels import ImageError, decode_image, png_data_uri
from equilens.media import Skips, cell, check_columns, read_manifest, resolve_path
from equilens.results import AuditLog, MediaExample, MediaRecord

__all__ = ["ImageAudit", "audit_images", "load_images"]

F32 = NDArray[np.float32]


@dataclass
class ImageAudit:
    """The log (with the media record), the per-image table and the images audited."""

    log: AuditLog
    frame: pd.DataFrame
    images: F32
    predictions: ImagePredictions | None = None


def load_images(
    files: Sequence[str],
    base_dir: Path,
    skips: Skips,
    *,
    colour: str = "auto",
    size: tuple[int, int] | None = None,
    resize: bool = False,
) -> tuple[F32, list[int], NDArray[np.int64]]:
    """Decode each file (skips with reasons); the images, their rows and original pixels."""
    if colour not in ("auto", "grey", "rgb"):
        raise InvalidParameterError(f"--colour must be auto, grey or rgb, got '{colour}'")
    kept: list[int] = []
    arrays: list[F32] = []
    pixels: list[int] = []
    for i, name in enumerate(files):
        if not name.strip():
            skips.add(i, f"row {i}", "no image path")
            continue
        path = resolve_path(name, base_dir)
        try:
            if colour == "auto":
                colour = _colour_of(path)
            img, px = decode_image(path, colour, size, resize)
        except ImageError as exc:
            skips.add(i, name, str(exc))
            continue
        size = size or (img.shape[0], img.shape[1])
        kept.append(i)
        arrays.append(img)
        pixels.append(px)
    if not arrays:
        return np.zeros((0, 1, 1), np.float32), kept, np.zeros(0, np.int64)
    return np.stack(arrays), kept, np.asarray(pixels, dtype=np.int64)


def _colour_of(path: Path) -> str:
    try:
        from PIL import Image

        with Image.open(path) as im:
            return "grey" if im.mode in ("1", "L", "LA", "I", "I;16", "F") else "rgb"
    except Exception as exc:
        raise ImageError(f"image failed to decode ({type(exc).__name__})") from exc


def _labels(values: Sequence[str], classes: Sequence[str] | None) -> tuple[list[str], list[str]]:
    names = list(classes) if classes is not None else sorted(set(values), key=_natural)
    return names, list(values)


def _natural(v: str) -> tuple[int, float | str]:
    try:
        return (0, float(v))
    except ValueError:
        return (1, v)


def _examples(
    frame: pd.DataFrame, images: F32, groups: Sequence[str], k: int
) -> list[MediaExample]:
    wrong = frame[~frame["correct"]].sort_values(
        ["p_true", "row"], ascending=[True, True], kind="stable"
    )
    out = []
    for pos, r in wrong.head(k).iterrows():
        bands = [f"{c.removesuffix('_band')} {r[c].split(' ')[0]}" for c in frame.columns
                 if c.endswith("_band")]  # fmt: skip
        out.append(
            MediaExample(
                id=str(r["file"]),
                slice={g: str(r[g]) for g in groups},
                reference=str(r["y_true"]),
                hypothesis=str(r["y_pred"]),
                value=float(1.0 - r["p_true"]),
                detail=", ".join(bands) or None,
                image=png_data_uri(images[int(str(pos))]),
            )
        )
    return out


def audit_images(
    manifest: str | Path | pd.DataFrame,
    *,
    label: str = "label",
    image: str = "image",
    groups: Sequence[str] = (),
    model: ImageClassifier | None = None,
    prediction: str | None = None,
    images: F32 | None = None,
    classes: Sequence[str] | None = None,
    conditions: bool = True,
    perturbations: Sequence[Perturbation] = PERTURBATIONS,
    colour: str = "auto",
    size: tuple[int, int] | None = None,
    resize: bool = False,
    max_skip: float = 0.05,
    batch_size: int = 256,
    cache: OutputCache | None = None,
    base_dir: str | Path | None = None,
    worst: int = 12,
    min_group_size: int = 30,
    seed: int = 0,
    progress: Callable[[int, int], None] | None = None,
) -> ImageAudit:
    """Classifier outcomes by group and by image condition, with perturbation probes.

    Parameters
    ----------
    manifest:
        CSV / JSONL / Parquet path or DataFrame: one row per image with the image path
        (``image``; not needed when ``images`` is given), the true label and group columns.
    model, prediction:
        An image classifier, or a column of precomputed predicted labels (then no
        perturbation probe runs: they need the model).
    images:
        ``(N, H, W[, C])`` float32 images in [0, 1], row-aligned with the manifest, instead
        of files.
    classes:
        Class names in the model's output order (default: the sorted labels).
    conditions:
        Add brightness, contrast, blur and size bands as audited features.
    """
    if (model is None) == (prediction is None):
        raise InvalidParameterError(
            "The image audit needs either a model (--onnx, --callable) or a column of "
            "precomputed predictions (--prediction), not both or neither."
        )
    if isinstance(manifest, pd.DataFrame):
        df = manifest.astype(object).where(manifest.notna(), "").astype(str)
        df = df.reset_index(drop=True)
        base = Path(base_dir) if base_dir is not None else Path.cwd()
    else:
        df = read_manifest(manifest)
        base = Path(base_dir) if base_dir is not None else Path(manifest).parent
    wanted = [("--label-column", label), ("--prediction", prediction)]
    wanted += [("--image-column", image if images is None else None)]
    wanted += [("--group", g) for g in groups]
    check_columns(df, wanted, "image")
    skips = Skips(total=len(df), max_skip=max_skip)
    if images is not None:
        if len(images) != len(df):
            raise InvalidInputError(
                f"The image array has {len(images)} images for {len(df)} manifest rows"
            )
        arr = np.asarray(images, dtype=np.float32)
        rows = list(range(len(df)))
        pixels = np.full(len(df), int(np.prod(arr.shape[1:3])), dtype=np.int64)
        files = [f"image {i}" for i in rows]
    else:
        files = list(df[image])
        arr, rows, pixels = load_images(files, base, skips, colour=colour, size=size, resize=resize)
    for pos, i in reversed(list(enumerate(rows))):
        if not cell(df, i, label).strip():
            skips.add(i, files[i], "no label")
            rows.pop(pos)
            arr = np.delete(arr, pos, axis=0)
            pixels = np.delete(pixels, pos)
    skips.check(("images",))
    truth = [cell(df, i, label) for i in rows]
    names, _ = _labels(truth, classes)
    index = {c: j for j, c in enumerate(names)}
    unknown = sorted(set(truth) - set(index))
    if unknown:
        raise InvalidInputError(f"Labels not among the classes (--classes): {unknown[:5]}")
    y = np.array([index[t] for t in truth], dtype=np.int64)
    run = None
    if model is not None:
        run = predict_images(model, arr, batch_size=batch_size, cache=cache, progress=progress)
        if run.proba.shape[1] != len(names):
            raise InvalidInputError(
                f"The model returns {run.proba.shape[1]} classes but the labels name "
                f"{len(names)} (--classes lists them in the model's output order)"
            )
        pred = run.proba.argmax(axis=1)
        p_true = run.proba[np.arange(len(y)), y]
    else:
        assert prediction is not None
        pred_text = [cell(df, i, prediction) for i in rows]
        bad = sorted(set(pred_text) - set(index))
        if bad:
            raise InvalidInputError(f"Predictions not among the classes: {bad[:5]} (--prediction)")
        pred = np.array([index[t] for t in pred_text], dtype=np.int64)
        p_true = (pred == y).astype(float)
    frame = pd.DataFrame(
        {
            "row": rows,
            "file": [files[i] for i in rows],
            **{g: df.loc[rows, g].to_numpy() for g in groups},
            "y_true": np.array(names, dtype=object)[y],
            "y_pred": np.array(names, dtype=object)[pred],
            "p_true": p_true,
            "correct": pred == y,
        }
    )
    features = list(groups)
    settings: dict[str, Any] = {"classes": names, "image_shape": list(arr.shape[1:])}
    if conditions:
        values = condition_values(arr, pixels)
        bands, edges = condition_bands(values)
        frame = pd.concat([frame, values, bands], axis=1)
        features += list(bands.columns)
        settings["condition_bands"] = edges
    if not features:
        raise InvalidParameterError(
            "The image audit has nothing to slice by: give --group columns or keep conditions"
        )
    task = "binary" if len(names) == 2 else "multiclass"
    kw: dict[str, Any] = {"positive_label": names[1]} if task == "binary" else {}
    log = audit(
        frame,
        task=task,
        y_true="y_true",
        y_pred="y_pred",
        sensitive_features=features,
        min_group_size=min_group_size,
        seed=seed,
        **kw,
    )
    summaries = []
    if model is not None and perturbations:
        summaries = perturbation_probes(
            model.predict_proba, arr, y, frame["correct"].to_numpy(), perturbations
        )
        settings["perturbations"] = [p.name for p in perturbations]
    if run is not None:
        settings["model"] = model.fingerprint() if model is not None else None
        settings["cached"] = run.cached
        ips = run.images_per_second
        settings["images_per_second"] = round(ips, 1) if ips is not None else None
    else:
        settings["predictions"] = f"precomputed column '{prediction}'"
    record = MediaRecord(
        kind="images",
        inputs=len(df),
        scored=len(rows),
        max_skip=max_skip,
        skipped=sorted(skips.items, key=lambda s: s.row),
        skipped_by_reason=skips.by_reason(),
        settings=settings,
        examples=_examples(frame, arr, groups, worst),
        summaries=summaries,
    )
    extra = (
        [f"{len(skips.rows)} of {len(df)} images skipped: {skips.by_reason()}"]
        if skips.items
        else []
    )
    log = log.model_copy(update={"media": record, "warnings": [*log.warnings, *extra]})
    return ImageAudit(log=log, frame=frame, images=arr, predictions=run)
