"""Image classifier audits: outcomes by group and by image condition, perturbation probes.

::

    from equilens.adapters import OnnxImageClassifier
    from equilens.images import audit_images

    result = audit_images("manifest.csv", groups=["skin_tone"],
                          model=OnnxImageClassifier("model.onnx"))
    result.log      # accuracy etc. by group and by brightness/contrast/blur/size band

See ``docs/speech-and-images.md`` and ``docs/design/0019-speech-and-images.md``.
"""

from equilens.images._conditions import CONDITIONS, condition_bands, condition_values
from equilens.images._load import classifier_from, parse_size, read_image_array
from equilens.images._perturb import (
    PERTURBATIONS,
    Perturbation,
    parse_perturbation,
    perturbation_probes,
)
from equilens.images._pixels import ImageError, blur_variance, decode_image, png_data_uri
from equilens.images._run import ImageAudit, audit_images, load_images

__all__ = [
    "CONDITIONS",
    "PERTURBATIONS",
    "ImageAudit",
    "ImageError",
    "Perturbation",
    "audit_images",
    "blur_variance",
    "classifier_from",
    "condition_bands",
    "condition_values",
    "decode_image",
    "load_images",
    "parse_perturbation",
    "parse_size",
    "perturbation_probes",
    "png_data_uri",
    "read_image_array",
]
