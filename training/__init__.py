"""Retraining tools: label readers, dataset building, augmentation and the synthetic river world."""

import detector  # noqa: F401  (configures ultralytics offline before anything imports it)
