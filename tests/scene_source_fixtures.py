"""STAC items for the SCENES tests (test_scene_sources*.py)."""

from __future__ import annotations


def stac_item(name: str, when: str, href: str) -> dict[str, object]:
    return {
        "type": "Feature",
        "stac_version": "1.0.0",
        "id": name,
        "geometry": {"type": "Point", "coordinates": [-73.4, -3.8]},
        "bbox": [-73.4, -3.8, -73.4, -3.8],
        "properties": {"datetime": when},
        "links": [],
        "assets": {
            "udm2": {"href": f"{name}_udm2.tif", "type": "image/tiff"},
            "thumbnail": {"href": f"{name}.png", "type": "image/png", "roles": ["thumbnail"]},
            "ortho_analytic_4b_sr": {"href": href, "type": "image/tiff; application=geotiff"},
        },
    }
