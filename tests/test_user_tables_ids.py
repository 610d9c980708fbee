"""Tables whose columns of ids hold commas: ``12,5`` there is two ids, not a decimal comma."""

from __future__ import annotations

from pathlib import Path

import pytest

from detector.date_tables import read_date_table
from detector.errors import InputError
from detector.user_tables import read_csv_table


@pytest.mark.parametrize("separator", ["|", "\t"])
def test_a_column_of_ids_shows_no_decimal_commas(tmp_path: Path, separator: str) -> None:
    """A table of scenes, dates and the ids of their detections (``12,5``: ids 12 and 5) was
    read as a table of decimal commas, a Spanish locale's, and its ``03/04/2024`` taken day
    first (3 April) without a word; the ids show nothing, and the date is ambiguous, as in the
    table without them."""
    dates = tmp_path / "dates.csv"
    rows = [
        ["scene", "date", "detection ids"],
        ["a.tif", "03/04/2024", "12,5"],
        ["b.tif", "03/05/2024", "7"],
    ]
    dates.write_text("".join(separator.join(row) + "\n" for row in rows), encoding="utf-8")
    table = read_csv_table(dates)
    assert not table.decimal_comma and table.day_first_cue is None
    with pytest.raises(InputError, match=r"dates like '03/04/2024' may be day or month first"):
        read_date_table(dates)
    spanish = tmp_path / "marcas.txt"  # a column of decimals beside the ids still shows them
    spanish.write_text(f"track_id{separator}lat\n12,5{separator}-3,7512\n", encoding="utf-8")
    assert read_csv_table(spanish).decimal_comma
