"""Image decoding, condition measures, perturbations and PNG thumbnails (numpy only).

Images are float32 arrays in [0, 1], shaped ``(N, H, W)`` (grey) or ``(N, H, W, C)``.
"""

from __future__ import annotations

import base64
import struct
import zlib
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "ImageError",
    "blur_variance",
    "decode_image",
    "png_data_uri",
]

F32 = NDArray[np.float32]


class ImageError(Exception):
    """An image that cannot be used; the message is the reason written to the log."""


def decode_image(
    path: Path, colour: str, size: tuple[int, int] | None, resize: bool
) -> tuple[F32, int]:
    """The image at ``path`` as float32 in [0, 1] and its original pixel count.

    ``colour`` is ``grey`` or ``rgb``. With ``resize`` the image is resized to ``size``
    (bilinear); otherwise an image of another size is an :class:`ImageError`.
    """
    if not path.is_file():
        raise ImageError("image file not found")
    try:
        from PIL import Image, UnidentifiedImageError
    except ImportError as exc:  # pragma: no cover - Pillow comes with the images extra
        raise ImageError("decoding image files needs Pillow") from exc
    try:
        with Image.open(path) as im:
            im.load()
            img = im.convert("L" if colour == "grey" else "RGB")
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise ImageError(f"image failed to decode ({type(exc).__name__})") from exc
    pixels = img.width * img.height
    if size is not None and (img.height, img.width) != size:
        if not resize:
            raise ImageError(
                f"size {img.height}x{img.width} differs from {size[0]}x{size[1]} (use --resize)"
            )
        img = img.resize((size[1], size[0]), Image.Resampling.BILINEAR)
    return np.asarray(img, dtype=np.float32) / np.float32(255.0), pixels


def _grey(images: F32) -> F32:
    return images if images.ndim == 3 else images.mean(axis=3)


def blur_variance(images: F32) -> NDArray[np.float64]:
    """Variance of the 4-neighbour Laplacian per image (low = blurry; Pech-Pacheco 2000)."""
    g = _grey(images).astype(np.float64)
    lap = (
        -4 * g[:, 1:-1, 1:-1] + g[:, :-2, 1:-1] + g[:, 2:, 1:-1] + g[:, 1:-1, :-2] + g[:, 1:-1, 2:]
    )
    out: NDArray[np.float64] = lap.reshape(len(g), -1).var(axis=1)
    return out


def png_data_uri(image: F32, max_side: int = 64) -> str:
    """A grey or RGB image as an inline PNG data URI, downsampled to at most ``max_side``."""
    step = max(1, int(np.ceil(max(image.shape[:2]) / max_side)))
    small = image[::step, ::step]
    px = np.clip(np.round(small * 255), 0, 255).astype(np.uint8)
    colour_type = 0 if px.ndim == 2 else 2
    h, w = px.shape[:2]
    raw = b"".join(b"\x00" + px[r].tobytes() for r in range(h))

    def chunk(tag: bytes, data: bytes) -> bytes:
        body = tag + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    png = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, colour_type, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")
