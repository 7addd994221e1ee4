"""Fashion-MNIST demo: a small classifier audited by category and image condition.

    python examples/images_fashion/run_demo.py --n 2000 --out /tmp/fashion-demo

Trains PCA + logistic regression on 6,000 training images (Debian's dataset-fashion-mnist,
read offline), exports it to ONNX (skl2onnx), writes ``--n`` test images as PNG files with a
manifest (plus one corrupt file and one of the wrong size, to show the skip ledger), then runs
the same audit as ``equilens images --manifest ... --onnx model.onnx``: accuracy and per-class
metrics by garment category and by brightness, contrast and blur band, and perturbation
probes (brighter, darker, flatter, blurrier copies of the same images; McNemar on flips).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image

from equilens.adapters import OnnxImageClassifier, OutputCache
from equilens.images import audit_images
from equilens.images._fashion import FASHION_CLASSES, load_fashion_mnist, train_fashion_model
from equilens.report import write_report

CATEGORY = {
    "T-shirt/top": "tops", "Pullover": "tops", "Coat": "tops", "Shirt": "tops",
    "Dress": "dresses", "Trouser": "bottoms", "Sandal": "shoes", "Sneaker": "shoes",
    "Ankle boot": "shoes", "Bag": "bags",
}  # fmt: skip


def export_onnx(model: object, path: Path) -> Path:
    from skl2onnx import to_onnx

    onx = to_onnx(model, np.zeros((1, 784), np.float32), options={"zipmap": False})
    path.write_bytes(onx.SerializeToString())
    return path


def write_images(out: Path, n: int) -> Path:
    x, y = load_fashion_mnist("test", n)
    img_dir = out / "images"
    img_dir.mkdir(parents=True, exist_ok=True)
    rows = []
    for i in range(n):
        name = f"images/{i:05d}.png"
        Image.fromarray(np.round(x[i] * 255).astype(np.uint8), mode="L").save(out / name)
        label = FASHION_CLASSES[int(y[i])]
        rows.append({"image": name, "label": label, "category": CATEGORY[label]})
    (img_dir / "corrupt.png").write_bytes(b"\x89PNG\r\n\x1a\nnot really a png")
    Image.new("L", (32, 32)).save(img_dir / "wrong_size.png")
    rows += [
        {"image": "images/corrupt.png", "label": "Bag", "category": "bags"},
        {"image": "images/wrong_size.png", "label": "Bag", "category": "bags"},
    ]
    pd.DataFrame(rows).to_csv(out / "manifest.csv", index=False)
    return out / "manifest.csv"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--out", type=Path, default=Path("fashion-demo"))
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    onnx = export_onnx(train_fashion_model(), args.out / "model.onnx")
    manifest = write_images(args.out, args.n)
    start = time.perf_counter()
    with OutputCache(args.out / "predictions.sqlite") as cache:
        result = audit_images(
            manifest,
            groups=["category"],
            model=OnnxImageClassifier(onnx),
            classes=FASHION_CLASSES,
            cache=cache,
        )
    print(f"audit of {args.n} images: {time.perf_counter() - start:.1f} s")
    write_report(result.log, args.out)
    log = result.log
    print(f"accuracy {log.result('accuracy_score').value:.3f}")
    for r in log.results:
        if r.metric == "accuracy_score" and r.slice:
            print(f"  {r.slice}: {r.value:.3f} [{r.ci_low:.3f}, {r.ci_high:.3f}] n={r.n}")
    assert log.media is not None
    for s in log.media.summaries:
        print(f"{s.measure}: flip rate {s.value:.3f}, p_holm={s.p_value_adjusted:.2g}; {s.detail}")
    print(f"skipped: {log.media.skipped_by_reason}")


if __name__ == "__main__":
    main()
