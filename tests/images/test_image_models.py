"""PyTorch modules and their ONNX exports (NCHW) give the same probabilities."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

from equilens.adapters import OnnxImageClassifier, TorchImageClassifier, predict_images

torch = pytest.importorskip("torch")


@pytest.mark.slow
def test_torch_module_and_its_onnx_export_agree(tmp_path: Path) -> None:
    torch.manual_seed(0)
    net = torch.nn.Sequential(
        torch.nn.Conv2d(1, 4, 3),
        torch.nn.ReLU(),
        torch.nn.Flatten(),
        torch.nn.Linear(4 * 14 * 14, 3),
    )
    x = np.random.default_rng(0).uniform(size=(7, 16, 16)).astype(np.float32)
    model = TorchImageClassifier(net, "tiny")
    p = predict_images(model, x, batch_size=3).proba
    with torch.no_grad():
        want = torch.softmax(net(torch.from_numpy(x[:, None])), dim=1).numpy()
    assert np.allclose(p, want, atol=1e-6)
    assert model.fingerprint() == TorchImageClassifier(net, "tiny").fingerprint()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.onnx.export(
            net, torch.zeros(1, 1, 16, 16), str(tmp_path / "tiny.onnx"), input_names=["x"],
            dynamic_axes={"x": {0: "n"}}, dynamo=False,
        )  # fmt: skip
    onnx = OnnxImageClassifier(tmp_path / "tiny.onnx")
    assert np.allclose(onnx.predict_proba(x), want, atol=1e-5)
