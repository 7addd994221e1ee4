"""The ``speech:`` and ``images:`` sections of an audit spec: checked with file lines, run by
the same library calls as ``equilens speech`` and ``equilens images``.

The manifest is ``data.path``; its group columns are ``sensitive_features``. Paths inside a
section (``asr_model``, ``onnx``, ``array``, ``cache``) are relative to the spec's folder, the
manifest's audio and image paths relative to the manifest's folder (as on the command line).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from equilens._yaml import Located
from equilens.exceptions import EquilensError, InvalidInputError
from equilens.results import AuditLog, write_log
from equilens.spec._model import AuditSpec

#: Top-level keys a media section reads (the others would be silently ignored: refused).
_SHARED = {"version", "name", "description", "data", "sensitive_features", "outputs", "policy"}
_USED = {
    "speech": _SHARED | {"speech", "intersections", "reference", "min_group_size", "bootstrap"},
    "images": _SHARED | {"images", "min_group_size", "bootstrap"},
}

#: Files a media run writes beside audit.json: name -> writer.
SideFiles = dict[str, Callable[[Path], object]]


def media_kind(spec: AuditSpec) -> str | None:
    """``speech``, ``images`` or None."""
    return "speech" if spec.speech is not None else "images" if spec.images is not None else None


def _where(spec_path: Path, located: Located, loc: tuple[str | int, ...]) -> str:
    line = located.line(loc)
    return f"{spec_path}:{line}" if line else str(spec_path)


def _section_columns(spec: AuditSpec, kind: str) -> list[tuple[str, str | None]]:
    """(key, column) the section names; defaults only where the library needs them."""
    if spec.speech is not None:
        sp = spec.speech
        audio = sp.audio if sp.hypothesis is None or "audio" in sp.model_fields_set else None
        return [
            ("audio", audio),
            ("reference", sp.reference),
            ("speaker", sp.speaker),
            ("hypothesis", sp.hypothesis),
        ]
    assert spec.images is not None
    im = spec.images
    image = im.image if im.array is None or "image" in im.model_fields_set else None
    return [("image", image), ("label", im.label), ("prediction", im.prediction)]


def check_media(spec: AuditSpec, located: Located, spec_path: Path) -> Path:
    """Check a media section against the rest of the spec and the manifest's columns;
    returns the manifest's path. Errors are ``FILE:LINE: key: ...``."""
    from equilens.media import read_manifest

    kind = media_kind(spec)
    assert kind is not None
    if spec.speech is not None and spec.images is not None:
        where = _where(spec_path, located, ("images",))
        raise InvalidInputError(f"{where}: give one of 'speech' and 'images', not both")
    for key in sorted(spec.model_fields_set - _USED[kind]):
        raise InvalidInputError(
            f"{_where(spec_path, located, (key,))}: {key}: not used with '{kind}:' (the "
            f"{kind} audit sets it; see docs/speech-and-images.md)"
        )
    if spec.bootstrap.model_fields_set - {"seed"}:
        raise InvalidInputError(
            f"{_where(spec_path, located, ('bootstrap', 'draws'))}: bootstrap.draws: not used "
            f"with '{kind}:' (only bootstrap.seed is)"
        )
    if not isinstance(spec.intersections, bool):
        raise InvalidInputError(
            f"{_where(spec_path, located, ('intersections',))}: intersections: with 'speech:' "
            "give true or false"
        )
    if spec.data.path is None:
        raise InvalidInputError(
            f"{_where(spec_path, located, ('data',))}: data.path: the {kind} audit reads a "
            "manifest file (CSV, JSONL or Parquet), not a shipped dataset"
        )
    manifest = Path(spec.data.path)
    manifest = manifest if manifest.is_absolute() else spec_path.parent / manifest
    try:
        have = set(read_manifest(manifest).columns)
    except EquilensError as exc:
        raise InvalidInputError(f"{_where(spec_path, located, ('data', 'path'))}: {exc}") from None
    wanted: list[tuple[tuple[str | int, ...], str]] = [
        ((kind, key), col) for key, col in _section_columns(spec, kind) if col
    ]
    wanted += [(("sensitive_features", i), c) for i, c in enumerate(spec.sensitive_features)]
    for loc, col in wanted:
        if col not in have:
            shown = ", ".join(sorted(have)[:15])
            raise InvalidInputError(
                f"{_where(spec_path, located, loc)}: {'.'.join(map(str, loc))}: column '{col}' "
                f"not found in {manifest.name}; available columns: {shown}"
            )
    return manifest


def _path(text: str | None, base: Path) -> str | None:
    if text is None:
        return None
    p = Path(text)
    return str(p if p.is_absolute() else base / p)


def _cache(setting: bool | str, base: Path) -> Any:
    from equilens.adapters import OutputCache, default_cache_path

    if setting is False:
        return None
    path = _path(setting, base) if isinstance(setting, str) else None
    return OutputCache(Path(path) if path else default_cache_path())


def run_media(
    spec: AuditSpec,
    located: Located,
    spec_path: Path,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[AuditLog, SideFiles]:
    """Run the spec's media section; returns the log and the side files to write."""
    manifest = check_media(spec, located, spec_path)
    kind = media_kind(spec)
    base = spec_path.parent
    try:
        if kind == "speech":
            return _speech(spec, manifest, base, progress)
        return _images(spec, manifest, base, progress)
    except EquilensError as exc:
        where = _where(spec_path, located, (str(kind),))
        raise type(exc)(f"{where}: {kind}: {exc}") from None


def _speech(
    spec: AuditSpec, manifest: Path, base: Path, progress: Callable[[int, int], None] | None
) -> tuple[AuditLog, SideFiles]:
    from equilens.speech import SYNTHETIC_NOTE, TextNormalisation, audit_speech

    sp = spec.speech
    assert sp is not None
    transcriber = None
    if sp.hypothesis is None:
        from equilens.adapters import WhisperTranscriber

        transcriber = WhisperTranscriber(_path(sp.asr_model, base), workers=sp.asr_workers)
    cache = _cache(sp.cache, base) if transcriber is not None else None
    try:
        result = audit_speech(
            manifest,
            groups=list(spec.sensitive_features),
            audio=sp.audio,
            reference=sp.reference,
            speaker=sp.speaker,
            hypothesis=sp.hypothesis,
            transcriber=transcriber,
            normalisation=TextNormalisation(**sp.normalisation.model_dump()),
            max_skip=sp.max_skip,
            cache=cache,
            worst=sp.worst,
            intersections=bool(spec.intersections),
            reference_group=dict(spec.reference) or None,
            min_group_size=spec.min_group_size,
            seed=spec.bootstrap.seed,
            notes=[SYNTHETIC_NOTE] if sp.synthetic else [],
            progress=progress,
        )
    finally:
        if cache is not None:
            cache.close()
    files: SideFiles = {
        "cer.json": lambda p: write_log(result.cer_log, p),
        "utterances.csv": lambda p: result.utterances.to_csv(p, index=False),
    }
    return result.log, files


def _images(
    spec: AuditSpec, manifest: Path, base: Path, progress: Callable[[int, int], None] | None
) -> tuple[AuditLog, SideFiles]:
    from equilens.images import (
        PERTURBATIONS,
        audit_images,
        classifier_from,
        parse_perturbation,
        parse_size,
        read_image_array,
    )

    im = spec.images
    assert im is not None
    names = {k: f"images.{k}" for k in ("prediction", "onnx", "callable")}
    model = classifier_from(
        onnx=_path(im.onnx, base), callable_=im.callable, prediction=im.prediction, names=names
    )
    perturb = (
        list(PERTURBATIONS) if im.perturb is None else [parse_perturbation(t) for t in im.perturb]
    )
    array_path = _path(im.array, base)
    cache = _cache(im.cache, base) if model is not None else None
    try:
        result = audit_images(
            manifest,
            label=im.label,
            image=im.image,
            groups=list(spec.sensitive_features),
            model=model,
            prediction=im.prediction,
            images=read_image_array(array_path, "images.array") if array_path else None,
            classes=im.classes,
            conditions=im.conditions,
            perturbations=perturb if model is not None else [],
            colour=im.colour,
            size=parse_size(im.size, "images.size"),
            resize=im.resize,
            max_skip=im.max_skip,
            batch_size=im.batch_size,
            cache=cache,
            worst=im.worst,
            min_group_size=spec.min_group_size,
            seed=spec.bootstrap.seed,
            progress=progress,
        )
    finally:
        if cache is not None:
            cache.close()
    return result.log, {"images.csv": lambda p: result.frame.to_csv(p, index=False)}
