"""``equilens images``: image classifier outcomes by group and by image condition."""

from __future__ import annotations

import argparse
from typing import Any

from equilens._cli._media import add_media_options, check_common, finish, groups, open_cache
from equilens._cli._media import progress as progress_bar
from equilens._cli._options import split_list
from equilens.exceptions import InvalidParameterError


def register(sub: Any) -> None:
    """Add the ``images`` subcommand."""
    p = sub.add_parser(
        "images",
        help="audit an image classifier: outcomes by group and by brightness/contrast/blur/size",
        description="Classify the manifest's images (an ONNX model, a Python callable, or "
        "precomputed predictions), audit the outcomes with the multiclass (or binary) task by "
        "the --group columns and by condition bands computed from the images, and test "
        "counterfactual perturbations of the same images as paired probes (McNemar on "
        "correctness flips). Writes DIR/audit.json, DIR/report.html, DIR/summary.md and "
        "DIR/images.csv.",
    )
    add_media_options(p, "image")
    p.add_argument("--image-column", default="image", help="column of image paths")
    p.add_argument(
        "--array",
        help="a .npy file of the images instead of paths: (N, H, W[, C]), uint8 or floats in "
        "[0, 1], row-aligned with the manifest",
    )
    p.add_argument("--label-column", default="label", help="column of true labels")
    p.add_argument("--prediction", help="column of precomputed predicted labels")
    p.add_argument("--onnx", help="ONNX image classifier (onnxruntime)")
    p.add_argument(
        "--callable",
        metavar="MODULE:NAME",
        help="a Python function images -> probabilities (or a torch.nn.Module)",
    )
    p.add_argument("--classes", help="class names in the model's output order: A,B,...")
    p.add_argument(
        "--colour", choices=("auto", "grey", "rgb"), default="auto", help="decode images as"
    )
    p.add_argument("--size", metavar="HxW", help="expected image size (default: the first's)")
    p.add_argument(
        "--resize",
        action="store_true",
        help="resize images to --size instead of skipping those of another size",
    )
    p.add_argument(
        "--perturb",
        action="append",
        metavar="KIND=AMOUNT",
        help="perturbation probe (repeatable): brightness=0.25, contrast=0.5, blur=1.0 "
        "(default: those four and brightness=-0.25)",
    )
    p.add_argument("--no-perturb", action="store_true", help="run no perturbation probe")
    p.add_argument("--no-conditions", action="store_true", help="no condition bands")
    p.add_argument("--batch-size", type=int, default=256, help="images per model call")
    p.set_defaults(handler=run)


#: How this command spells the image-model settings in its error lines.
_NAMES = {"prediction": "--prediction", "onnx": "--onnx", "callable": "--callable"}


def run(args: argparse.Namespace) -> int:
    """Run ``equilens images``."""
    from equilens.images import (
        PERTURBATIONS,
        audit_images,
        classifier_from,
        parse_perturbation,
        parse_size,
        read_image_array,
    )

    out = check_common(args)
    if args.batch_size < 1:
        raise InvalidParameterError(f"--batch-size must be >= 1, got {args.batch_size}")
    model = classifier_from(
        onnx=args.onnx, callable_=args.callable, prediction=args.prediction, names=_NAMES
    )
    perturbations = (
        []
        if args.no_perturb
        else [parse_perturbation(t) for t in args.perturb]
        if args.perturb
        else list(PERTURBATIONS)
    )
    images = read_image_array(args.array, "--array") if args.array else None
    with open_cache(args) as cache, progress_bar(args, "classifying") as bar:
        result = audit_images(
            args.manifest,
            label=args.label_column,
            image=args.image_column,
            groups=groups(args, required=False),
            model=model,
            prediction=args.prediction,
            images=images,
            classes=split_list(args.classes) or None,
            conditions=not args.no_conditions,
            perturbations=perturbations,
            colour=args.colour,
            size=parse_size(args.size, "--size"),
            resize=args.resize,
            max_skip=args.max_skip,
            batch_size=args.batch_size,
            cache=cache,
            worst=args.worst,
            min_group_size=args.min_group_size,
            seed=args.seed,
            progress=bar,
        )
    out.mkdir(parents=True, exist_ok=True)
    result.frame.to_csv(out / "images.csv", index=False)
    return finish(args, result.log, out)
