"""Fashion-MNIST from Debian's ``dataset-fashion-mnist`` and a small classifier trained on it.

The images (28 x 28 grey, 10 classes, Expat licence; Xiao, Rasul and Vollgraf 2017) are read
from the IDX files the Debian package installs (no download). :func:`train_fashion_model`
fits a multinomial logistic regression on the first 40 principal components of the raw
pixels (about a second), which is
deliberately naive: it is not invariant to brightness, which the perturbation probes find.
"""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from equilens.exceptions import InvalidInputError

__all__ = ["FASHION_CLASSES", "FASHION_DIR", "load_fashion_mnist", "train_fashion_model"]

FASHION_DIR = Path("/usr/share/datasets/fashion-mnist")
FASHION_CLASSES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)


def load_fashion_mnist(
    split: str = "test", n: int | None = None, base: Path = FASHION_DIR
) -> tuple[NDArray[np.float32], NDArray[np.int64]]:
    """The first ``n`` images of ``split`` (train or t10k/test) in [0, 1] and their labels."""
    prefix = "train" if split == "train" else "t10k"
    images, labels = (
        base / f"{prefix}-images-idx3-ubyte.gz",
        base / f"{prefix}-labels-idx1-ubyte.gz",
    )
    if not images.is_file():
        raise InvalidInputError(
            f"Fashion-MNIST is not at {base} (apt-get install dataset-fashion-mnist)"
        )
    with gzip.open(images) as f:
        x = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 28, 28)
    with gzip.open(labels) as f:
        y = np.frombuffer(f.read(), np.uint8, offset=8)
    stop = len(y) if n is None else n
    return (x[:stop].astype(np.float32) / 255.0), y[:stop].astype(np.int64)


def train_fashion_model(n_train: int = 6000, seed: int = 0) -> Any:
    """PCA (40 components) then multinomial logistic regression, on flattened raw pixels."""
    from sklearn.decomposition import PCA
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    x, y = load_fashion_mnist("train", n_train)
    model = make_pipeline(
        PCA(40, random_state=seed), LogisticRegression(max_iter=300, random_state=seed)
    )
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):  # BLAS threads on a shared machine cost 50x on this size
        model.fit(x.reshape(len(x), -1), y)
    return model
