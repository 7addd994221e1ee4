"""Image audits: thumbnails, condition bands, perturbation probes, files, ONNX, cache, CLI."""

from __future__ import annotations

import base64
import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from equilens._cli.main import main
from equilens.adapters import (
    CallableImageClassifier,
    OnnxImageClassifier,
    OutputCache,
    predict_images,
)
from equilens.exceptions import InvalidInputError, InvalidParameterError
from equilens.images import (
    Perturbation,
    audit_images,
    blur_variance,
    condition_bands,
    condition_values,
    parse_perturbation,
    png_data_uri,
)
from equilens.report import render_html
from equilens.report._media_html import safe_thumbnail

CLASSES = ("left", "right")


def _stripes(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Grey 16x16 images whose class is the brighter half (left or right), varied brightness."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    base = rng.uniform(0.15, 0.45, n)[:, None, None]
    img = np.broadcast_to(base, (n, 16, 16)).copy()
    gap = rng.uniform(0.0, 0.2, n)
    img[y == 0, :, :8] += gap[y == 0, None, None]
    img[y == 1, :, 8:] += gap[y == 1, None, None]
    img += rng.normal(0, 0.1, img.shape)
    return np.clip(img, 0, 1).astype(np.float32), y


def _invariant(images: np.ndarray) -> np.ndarray:
    """Compares the halves: unaffected by a brightness shift (away from clipping)."""
    d = images[:, :, 8:].mean(axis=(1, 2)) - images[:, :, :8].mean(axis=(1, 2))
    p = 1 / (1 + np.exp(-40 * d))
    return np.column_stack([1 - p, p])


def _planted(images: np.ndarray) -> np.ndarray:
    """The invariant model, except that bright images are called 'left' (planted)."""
    p = _invariant(images)
    bright = images.reshape(len(images), -1).mean(axis=1) > 0.5
    p[bright] = [0.9, 0.1]
    return p


def test_png_thumbnail_round_trips_and_is_capped() -> None:
    img = np.random.default_rng(0).uniform(size=(28, 28)).astype(np.float32)
    uri = png_data_uri(img)
    decoded = np.asarray(Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1]))))
    assert np.array_equal(decoded, np.round(img * 255).astype(np.uint8))
    rgb = np.random.default_rng(1).uniform(size=(300, 200, 3)).astype(np.float32)
    big = Image.open(io.BytesIO(base64.b64decode(png_data_uri(rgb).split(",", 1)[1])))
    assert max(big.size) <= 64 and big.mode == "RGB"
    assert safe_thumbnail(uri) == uri
    assert safe_thumbnail("https://example.com/x.png") is None
    assert safe_thumbnail('data:image/png;base64,AAAA" onerror="alert(1)') is None
    assert safe_thumbnail("data:image/png;base64," + "A" * 40_000) is None


def test_condition_bands_are_tertiles_and_blur_lowers_sharpness() -> None:
    x, _ = _stripes(300)
    values = condition_values(x, np.full(300, 256))
    bands, edges = condition_bands(values)
    assert set(bands.columns) == {"brightness_band", "contrast_band", "sharpness_band"}
    assert "size" not in edges  # one size: no band
    counts = bands["brightness_band"].value_counts()
    assert len(counts) == 3 and counts.min() >= 99
    assert all(lab.split(" ")[0] in ("low", "mid", "high") for lab in bands["contrast_band"])
    blurred = Perturbation("blur", 1.5).apply(x)
    assert np.all(blur_variance(blurred) < blur_variance(x))


def test_planted_brightness_sensitivity_is_detected_and_an_invariant_model_is_not() -> None:
    x, y = _stripes(400)
    labels = pd.DataFrame({"label": np.array(CLASSES)[y]})
    perts = [Perturbation("brightness", 0.25), Perturbation("contrast", 0.8)]
    planted = audit_images(
        labels, images=x, model=CallableImageClassifier(_planted, "planted"),
        classes=CLASSES, perturbations=perts, conditions=False, groups=["label"],
    )  # fmt: skip
    media = planted.log.media
    assert media is not None
    bright, _contrast = media.summaries
    assert bright.p_value_adjusted is not None and bright.p_value_adjusted < 1e-6
    assert "became wrong" in (bright.detail or "")
    invariant = audit_images(
        labels, images=x, model=CallableImageClassifier(_invariant, "invariant"),
        classes=CLASSES, perturbations=perts, conditions=False, groups=["label"],
    )  # fmt: skip
    inv = invariant.log.media
    assert inv is not None
    for s in inv.summaries:
        assert s.p_value_adjusted is None or s.p_value_adjusted > 0.05


def test_perturbation_probe_false_findings_with_chance_flips() -> None:
    # A model whose errors are random on every call: flips happen, but both ways equally.
    x, y = _stripes(300, seed=3)
    labels = pd.DataFrame({"label": np.array(CLASSES)[y]})
    found = 0
    reps = 60
    for r in range(reps):
        rng = np.random.default_rng(100 + r)

        def noisy(images: np.ndarray, rng: np.random.Generator = rng) -> np.ndarray:
            p = _invariant(images)
            swap = rng.random(len(p)) < 0.15
            p[swap] = p[swap][:, ::-1]
            return p

        res = audit_images(
            labels, images=x, model=CallableImageClassifier(noisy, f"noisy{r}"),
            classes=CLASSES, perturbations=[Perturbation("brightness", 0.05)],
            conditions=False, groups=["label"],
        )  # fmt: skip
        media = res.log.media
        assert media is not None
        p = media.summaries[0].p_value_adjusted
        found += int(p is not None and p < 0.05)
    print(f"perturbation probe false findings {found}/{reps}")
    # MC error of a 0.05 rate over 60 runs is 0.028; McNemar's size is at most 0.05.
    assert found / reps <= 0.05 + 3 * 0.028


def test_parse_perturbation() -> None:
    assert parse_perturbation("brightness=-0.2") == Perturbation("brightness", -0.2)
    for bad in ("blur", "blur=-1", "gamma=2", "contrast=x"):
        with pytest.raises(InvalidParameterError, match="--perturb"):
            parse_perturbation(bad)


def _files(tmp_path: Path, n: int = 120) -> tuple[Path, np.ndarray, np.ndarray]:
    x, y = _stripes(n, seed=9)
    rows = []
    for i in range(n):
        Image.fromarray(np.round(x[i] * 255).astype(np.uint8), mode="L").save(tmp_path / f"{i}.png")
        rows.append({"image": f"{i}.png", "label": CLASSES[y[i]], "site": "ab"[i % 2]})
    (tmp_path / "bad.png").write_bytes(b"not an image")
    Image.new("L", (20, 16)).save(tmp_path / "wide.png")
    rows += [
        {"image": "bad.png", "label": "left", "site": "a"},
        {"image": "wide.png", "label": "left", "site": "a"},
        {"image": "gone.png", "label": "left", "site": "a"},
        {"image": "0.png", "label": "", "site": "a"},
    ]
    pd.DataFrame(rows).to_csv(tmp_path / "manifest.csv", index=False)
    q = np.round(x * 255) / 255  # what the PNG files hold
    return tmp_path / "manifest.csv", q.astype(np.float32), y


def _onnx_model(tmp_path: Path) -> Path:
    from skl2onnx import to_onnx
    from sklearn.linear_model import LogisticRegression

    x, y = _stripes(400, seed=2)
    model = LogisticRegression(max_iter=500).fit(x.reshape(400, -1), y)
    onx = to_onnx(model, np.zeros((1, 256), np.float32), options={"zipmap": False})
    path = tmp_path / "m.onnx"
    path.write_bytes(onx.SerializeToString())
    return path


def test_files_onnx_skips_cache_and_report(tmp_path: Path) -> None:
    manifest, x, y = _files(tmp_path)
    onnx = OnnxImageClassifier(_onnx_model(tmp_path))
    with OutputCache(tmp_path / "c.sqlite") as cache:
        res = audit_images(
            manifest, groups=["site"], model=onnx, classes=CLASSES, cache=cache,
            max_skip=0.05, min_group_size=5,
        )  # fmt: skip
        again = predict_images(onnx, res.images, cache=cache)
    media = res.log.media
    assert media is not None
    assert media.skipped_by_reason == {
        "image failed to decode (UnidentifiedImageError)": 1,
        "size 16x20 differs from 16x16 (use --resize)": 1,
        "image file not found": 1,
        "no label": 1,
    }
    assert media.scored == 120 and res.log.data.n_rows == 120
    assert again.cached == 120
    # Accuracy equals a direct computation on the same pixels.
    direct = onnx.predict_proba(x).argmax(axis=1) == y
    assert res.log.result("accuracy_score").value == pytest.approx(direct.mean())
    for site in "ab":
        want = direct[np.arange(120) % 2 == "ab".index(site)].mean()
        assert res.log.result("accuracy_score", {"site": site}).value == pytest.approx(want)
    html = render_html(res.log)
    assert html.count('src="data:image/png;base64,') == len(media.examples) > 0
    assert "http://" not in html.split("<footer>")[0].replace("http://www.w3.org", "")
    assert 'id="media"' in html


def test_resize_keeps_other_sizes_and_missing_columns_are_one_line(tmp_path: Path) -> None:
    manifest, _, _ = _files(tmp_path, n=60)
    model = CallableImageClassifier(_invariant, "invariant")
    res = audit_images(
        manifest, model=model, classes=CLASSES, size=(16, 16), resize=True, max_skip=0.1,
        min_group_size=5,
    )  # fmt: skip
    assert res.log.media is not None and res.log.media.scored == 61
    with pytest.raises(InvalidInputError, match=r"no column 'skin' \(--group\)"):
        audit_images(manifest, groups=["skin"], model=model, classes=CLASSES)
    with pytest.raises(InvalidInputError, match="more than --max-skip"):
        audit_images(manifest, model=model, classes=CLASSES, max_skip=0.01)


def test_cli_images_with_precomputed_predictions(tmp_path: Path) -> None:
    manifest, _, _y = _files(tmp_path, n=80)
    df = pd.read_csv(manifest, keep_default_na=False)
    df["pred"] = df["label"].replace({"": "left"})
    df.to_csv(manifest, index=False)
    out = tmp_path / "out"
    code = main(["images", "--manifest", str(manifest), "--prediction", "pred", "--group",
                 "site", "--max-skip", "0.1", "--out", str(out), "--quiet",
                 "--no-cache"])  # fmt: skip
    assert code == 0
    assert (out / "report.html").is_file() and (out / "images.csv").is_file()
    np.save(tmp_path / "x.npy", np.zeros((len(df), 16, 16), np.uint8))
    argv = ["images", "--manifest", str(manifest), "--prediction", "pred", "--array",
            str(tmp_path / "x.npy"), "--out", str(tmp_path / "o2"), "--quiet",
            "--no-cache"]  # fmt: skip
    assert main(argv) == 2  # constant images: no condition band, and no --group
    assert main([*argv, "--group", "site"]) == 0  # an array file: nothing to decode
    assert main(["images", "--manifest", str(manifest), "--prediction", "pred", "--onnx",
                 "x.onnx", "--out", str(out), "--quiet"]) == 2  # fmt: skip


@pytest.mark.slow
def test_fashion_mnist_example_audit() -> None:
    from equilens.images._fashion import (
        FASHION_CLASSES,
        FASHION_DIR,
        load_fashion_mnist,
        train_fashion_model,
    )

    if not FASHION_DIR.is_dir():  # pragma: no cover - Debian package in CI
        pytest.skip("dataset-fashion-mnist is not installed")
    model = train_fashion_model(n_train=3000)
    x, y = load_fashion_mnist("test", 1000)
    labels = pd.DataFrame({"label": np.array(FASHION_CLASSES)[y]})
    clf = CallableImageClassifier(lambda im: model.predict_proba(im.reshape(len(im), -1)), "pca-lr")
    res = audit_images(labels, images=x, model=clf, classes=FASHION_CLASSES, groups=["label"])
    acc = res.log.result("accuracy_score").value
    assert acc is not None and 0.75 < acc < 0.9
    direct = (model.predict(x.reshape(1000, -1)) == y).mean()
    assert acc == pytest.approx(direct)
    media = res.log.media
    assert media is not None
    bright = next(s for s in media.summaries if s.measure == "perturbation: brightness +0.25")
    # Raw-pixel linear models are not brightness invariant: detected.
    assert bright.p_value_adjusted is not None and bright.p_value_adjusted < 1e-6
    bands = {r.slice.get("brightness_band", "")[:3] for r in res.log.results}
    assert {"low", "mid", "hig"} <= bands
