"""The synthetic river world: a multi-date, PlanetScope-like scene set with ground truth."""
