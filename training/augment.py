"""Augmentation that fits overhead satellite chips of small objects on rivers.

Two parts, both handed to ultralytics' trainer by :func:`training.yolo_fit.train_yolo`:

- :func:`satellite_augmentations`: albumentations transforms, passed as
  ``model.train(augmentations=[...])``. An overhead scene has no "up": all eight 90° rotations
  and flips are equally likely. Radiometry changes from scene to scene (sun, sensor gain,
  atmosphere), so brightness/contrast, per-band gain, a haze veil (:class:`HazeVeil`), sensor
  noise and a slight blur (the point spread of another satellite) are drawn per chip.
- :func:`ultralytics_overrides`: ultralytics' own augmentation switches. Hue shifts are off
  (water colour tells blackwater from turbid rivers, and dredge roofs are tarps or rust), as
  are shear, perspective and free rotation (boxes of rotated boxes grow; the 90° turns above
  suffice). Its flips are off because the albumentations above already flip. Mosaic stays (it
  packs more dredges and more river context into a batch), and ``scale`` is the scale jitter
  around the model's GSD: chips are zoomed by 1 ± :data:`GSD_JITTER`, so 3 m becomes
  2.5–3.75 m (3 m / 1.2 to 3 m / 0.8).
"""

from __future__ import annotations

from typing import Any

import albumentations as A
import cv2
import numpy as np
from numpy.typing import NDArray

GSD_JITTER = 0.2  # relative scale jitter around the model's GSD


class HazeVeil(A.ImageOnlyTransform):
    """Blend a smooth, uneven veil of bright haze over the chip.

    ``alpha_range`` is the veil's strongest opacity; the opacity varies smoothly across the
    chip (between half and all of the drawn value, but where the cubic upsampling of its 4 × 4
    field overshoots: down to about 0.3 of it, on some 2 % of the chip), as thin haze does. The
    veil is near-neutral grey-white, so the transform does not depend on RGB or BGR band order.
    """

    def __init__(
        self,
        alpha_range: tuple[float, float] = (0.05, 0.35),
        brightness_range: tuple[float, float] = (0.7, 0.95),
        p: float = 0.3,
    ) -> None:
        super().__init__(p=p)
        self.alpha_range = alpha_range
        self.brightness_range = brightness_range

    def get_params_dependent_on_data(
        self, params: dict[str, Any], data: dict[str, Any]
    ) -> dict[str, Any]:
        """Draw the veil's opacity field and brightness for this chip."""
        height, width = params["shape"][:2]
        rng = self.random_generator
        coarse = rng.uniform(0.5, 1.0, size=(4, 4)).astype(np.float32)
        field = cv2.resize(coarse, (width, height), interpolation=cv2.INTER_CUBIC)
        alpha = float(rng.uniform(*self.alpha_range)) * np.clip(field, 0.0, 1.0)
        return {"alpha": alpha, "brightness": float(rng.uniform(*self.brightness_range))}

    def apply(
        self, img: NDArray[Any], alpha: NDArray[np.float32], brightness: float, **params: Any
    ) -> NDArray[Any]:
        """Blend ``img`` towards the veil's brightness by ``alpha`` per pixel."""
        top = 255.0 if img.dtype == np.uint8 else 1.0
        veil = brightness * top
        weights = alpha[..., np.newaxis] if img.ndim == 3 else alpha
        out = img.astype(np.float32) * (1 - weights) + veil * weights
        return np.clip(out, 0, top).astype(img.dtype)

    def get_transform_init_args_names(self) -> tuple[str, ...]:
        """Arguments that albumentations serialises (ultralytics stores them in checkpoints)."""
        return ("alpha_range", "brightness_range")


def satellite_augmentations() -> list[A.BasicTransform]:
    """The albumentations transforms of the default recipe (see the module's docstring)."""
    return [
        A.RandomRotate90(p=1.0),
        A.HorizontalFlip(p=0.5),
        A.RandomBrightnessContrast(brightness_limit=0.15, contrast_limit=0.2, p=0.6),
        A.MultiplicativeNoise(multiplier=(0.92, 1.08), per_channel=True, elementwise=False, p=0.4),
        HazeVeil(alpha_range=(0.05, 0.35), p=0.3),
        A.GaussNoise(std_range=(0.01, 0.04), p=0.3),
        A.GaussianBlur(sigma_limit=(0.3, 0.8), blur_limit=(3, 3), p=0.15),
    ]


def ultralytics_overrides() -> dict[str, Any]:
    """Ultralytics' augmentation arguments for satellite chips (see the module's docstring)."""
    return {
        "hsv_h": 0.0,
        "hsv_s": 0.3,
        "hsv_v": 0.0,  # brightness is drawn by RandomBrightnessContrast
        "degrees": 0.0,
        "shear": 0.0,
        "perspective": 0.0,
        "translate": 0.1,
        "scale": GSD_JITTER,
        "fliplr": 0.0,  # flips and 90° turns come from the albumentations list
        "flipud": 0.0,
        "mosaic": 1.0,
        "mixup": 0.0,
        "cutmix": 0.0,
        "copy_paste": 0.0,
    }
