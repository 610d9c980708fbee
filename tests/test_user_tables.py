"""CSV as Excel writes it in any locale, and dates as people type them."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd
import pytest

from detector.date_tables import read_date_table
from detector.errors import InputError
from detector.given_dates import ZonelessTime
from detector.user_tables import normalise_dates, read_csv_table, read_degrees


def test_dates_in_several_formats_and_zones_become_utc() -> None:
    values = pd.Series(
        ["2024-07-15T14:50:12Z", "2024-07-15 10:50:12-04:00", "2024-07-16", "03/04/2024"]
    )
    parsed, notes = normalise_dates(values, "d.csv")
    assert parsed.dt.tz is not None
    assert parsed.iloc[0] == parsed.iloc[1] == pd.Timestamp("2024-07-15 14:50:12", tz="UTC")
    assert parsed.iloc[3] == pd.Timestamp("2024-03-04", tz="UTC")
    assert any("have no time zone" in n for n in notes)
    assert any("month first" in n for n in notes)


def test_a_day_first_column_is_read_day_first_throughout() -> None:
    """A Peruvian table (25/03/2024 beside 05/03/2024): pandas read the second as 3 May."""
    values = pd.Series(["25/03/2024", "05/03/2024", "05.04.2024", "2024-02-01"])
    parsed, notes = normalise_dates(values, "d.csv")
    days = ["2024-03-25", "2024-03-05", "2024-04-05", "2024-02-01"]
    assert parsed.tolist() == [pd.Timestamp(day, tz="UTC") for day in days]
    assert any("read day first, as '25/03/2024' in the same column shows" in n for n in notes)
    with pytest.raises(InputError, match=r"mix day-first \('25/03/2024'\) and month-first"):
        normalise_dates(pd.Series(["25/03/2024", "03/25/2024"]), "d.csv")


def test_missing_and_unreadable_dates_stop_with_one_line() -> None:
    with pytest.raises(InputError, match="1 of 2 rows has no date"):
        normalise_dates(pd.Series(["2024-01-01", None]), "d.csv")
    with pytest.raises(InputError, match=r"1 date cannot be read, e.g. 'soon'"):
        normalise_dates(pd.Series(["2024-01-01", "soon"]), "d.csv")


def test_a_spanish_excel_csv_is_read_with_its_separator_decimals_and_code_page(
    tmp_path: Path,
) -> None:
    """Excel in a Spanish locale writes ';' columns, decimal commas and cp1252 on Windows."""
    path = tmp_path / "marcas.csv"
    text = "Longitud;Latitud;Fecha;Observación\n-73,4123;-3,8012;01/03/2024;draga\n"
    path.write_bytes(text.encode("cp1252"))
    table = read_csv_table(path)
    assert (table.separator, table.encoding, table.day_first) == (";", "cp1252", True)
    assert table.frame["Longitud"].tolist() == [-73.4123]
    assert list(table.frame.columns) == ["Longitud", "Latitud", "Fecha", "Observación"]
    parsed, notes = normalise_dates(table.frame["Fecha"], path, day_first=table.day_first)
    assert parsed.tolist() == [pd.Timestamp("2024-03-01", tz="UTC")]  # 1 March, not 3 January
    assert any("read day first, as the table's ';' columns" in note for note in notes)
    plain = tmp_path / "plain.csv"
    plain.write_text("\ufefflon,lat,acquired\n-73.41,-3.80,2024-03-01\n", encoding="utf-8")
    assert read_csv_table(plain).separator == "," and not read_csv_table(plain).day_first
    assert list(read_csv_table(plain).frame.columns) == ["lon", "lat", "acquired"]  # no BOM


@pytest.mark.parametrize(
    ("header", "row", "separator"),
    [
        ("Fecha;Longitud;Latitud;Observaciones, notas", "05/03/2024;-73,4123;-3,7512;a", ";"),
        ("Fecha\tLongitud\tLatitud\tNotas, obs", "05/03/2024\t-73.4123\t-3.7512\ta", "\t"),
    ],
)
def test_a_comma_in_a_column_name_is_not_the_separator(
    tmp_path: Path, header: str, row: str, separator: str
) -> None:
    """The sniffer prefers ',' whenever the header holds one: these were read by commas and
    stopped with 'rows have more fields than its header' / 'has no position columns'."""
    path = tmp_path / "marcas.csv"
    path.write_text(f"{header}\n{row}\n", encoding="utf-8")
    table = read_csv_table(path)
    assert table.separator == separator
    assert table.frame["Longitud"].tolist() == [-73.4123]
    assert table.frame["Latitud"].tolist() == [-3.7512]


def test_an_excel_sep_line_names_the_separator(tmp_path: Path) -> None:
    """Excel's 'sep=;' first line (a CSV made for Excel in another locale) was read as the
    header: 'rows have more fields than its header'."""
    path = tmp_path / "marcas.csv"
    path.write_text("sep=;\nlon;lat;fecha\n-73,4123;-3,7512;15/03/2024\n", encoding="utf-8-sig")
    table = read_csv_table(path)
    assert table.separator == ";" and list(table.frame.columns) == ["lon", "lat", "fecha"]
    assert table.frame["lon"].tolist() == [-73.4123] and table.frame["lat"].tolist() == [-3.7512]


def test_spanish_or_portuguese_column_names_read_ambiguous_dates_day_first(
    tmp_path: Path,
) -> None:
    """A Peruvian table saved with ',' (fecha,latitud,longitud; 01/03/2024) was read month
    first, 3 January for 1 March, with only a note: only a ';' table was read day first."""
    for header in ("fecha,latitud,longitud,x", "Data,Latitude,Longitude,x", "date,y,x,Categoría"):
        path = tmp_path / "marcas.csv"
        path.write_text(f"{header}\n01/03/2024,-3.79,-73.41,x\n")
        table = read_csv_table(path)
        assert table.day_first, header
        column = table.frame.columns[0]
        parsed, notes = normalise_dates(table.frame[column], path, day_first=table.day_first_cue)
        assert parsed.tolist() == [pd.Timestamp("2024-03-01", tz="UTC")], header
        assert any("Spanish or Portuguese column names" in note for note in notes)
    english = tmp_path / "marks.csv"
    english.write_text("date,latitude,longitude,class\n01/03/2024,-3.79,-73.41,dredge\n")
    assert not read_csv_table(english).day_first  # an English table: month first, as before
    dates = tmp_path / "fechas.csv"
    dates.write_text("escena,fecha\nexport.tif,02/03/2024\n")  # it was refused as ambiguous
    table = read_date_table(dates)
    assert table == {"export.tif": pd.Timestamp("2024-03-02", tz="UTC")}
    assert "as the table's Spanish or Portuguese column names ('escena', 'fecha')" in table.notes[0]


def test_a_date_table_in_any_locale_and_one_that_contradicts_itself(tmp_path: Path) -> None:
    spanish = tmp_path / "fechas.csv"
    spanish.write_bytes("Escena;Fecha\nexport.tif;02/03/2024\n".encode("cp1252"))
    assert read_date_table(spanish) == {"export.tif": pd.Timestamp("2024-03-02", tz="UTC")}
    ambiguous = tmp_path / "dates.csv"
    ambiguous.write_text("scene,date\nexport.tif,02/03/2024\n")
    with pytest.raises(InputError, match=r"1 date, '02/03/2024', may be day or month first"):
        read_date_table(ambiguous)
    twice = tmp_path / "twice.csv"
    twice.write_text("scene,date\na.tif,2024-03-02\nb.tif,2024-03-09\na.tif,2024-03-03\n")
    with pytest.raises(InputError, match=r"scene 'a.tif' has two dates \(2024-03-02 00:00"):
        read_date_table(twice)


def test_a_date_table_says_how_it_read_a_year_or_a_month_alone(tmp_path: Path) -> None:
    """A row of '2024' dated its scene 1 January, and '2024-03' the 1st, without a word: the
    notes of reading the dates were dropped."""
    coarse = tmp_path / "dates.csv"
    coarse.write_text("scene,date\na.tif,2024\nb.tif,2024-03\nc.tif,45371\n")
    table = read_date_table(coarse)
    assert table["a.tif"] == pd.Timestamp("2024-01-01", tz="UTC")
    text = " ".join(table.notes)
    assert "1 date gives only a year (e.g. '2024'): taken as 1 January" in text
    assert "1 date gives only a month (e.g. '2024-03')" in text
    assert "1 date was an Excel day number" in text
    days = tmp_path / "days.csv"
    days.write_text("scene,date\na.tif,2024-06-20\nb.tif,2024-06-21 14:50\n")
    assert read_date_table(days).notes == []  # nothing to say ('no time zone' is said elsewhere)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("-73.4167", -73.4167),
        ("73°25'0.12\"O", -(73 + 25 / 60 + 0.12 / 3600)),  # O: oeste, Google Earth in Spanish
        ("73°25'0.12\"W", -(73 + 25 / 60 + 0.12 / 3600)),
        ("3°47'46.83\"S", -(3 + 47 / 60 + 46.83 / 3600)),
        ("3° 47' 46,83'' S", -(3 + 47 / 60 + 46.83 / 3600)),  # decimal comma, two quotes
        ("S 3°47.5'", -(3 + 47.5 / 60)),
        ("3.7963 S", -3.7963),
        ("12°N", 12.0),
        # a hemisphere S after seconds is not their unit (it was read north: +3.7963)
        ("3°47'46.83 S", -(3 + 47 / 60 + 46.83 / 3600)),
        ("3 47 46.83 S", -(3 + 47 / 60 + 46.83 / 3600)),
        ("3°47'46.83S", -(3 + 47 / 60 + 46.83 / 3600)),
        ("3d47m46.83s", 3 + 47 / 60 + 46.83 / 3600),  # letter units: s is seconds
        # a minus typed as U+2212 (Word, a web page) or an en dash: 'cannot read' before
        ("\u22123.7512", -3.7512),
        ("\u22123,7512", -3.7512),
        ("\u201373\u00b025'0.12\"", -(73 + 25 / 60 + 0.12 / 3600)),
    ],
)
def test_degrees_are_read_from_google_earth_and_hemisphere_forms(
    text: str, expected: float
) -> None:
    got = read_degrees(pd.Series([text, "1.5"]), "marks.csv", "longitude")
    assert got.tolist() == pytest.approx([expected, 1.5])


@pytest.mark.parametrize(
    "text", ["73°75'0\"W", "N 3° S", "west", "3°47'46.83\"Q", "3.5°30'", "-3.7512.5"]
)
def test_a_position_that_is_not_degrees_names_its_line(text: str) -> None:
    with pytest.raises(InputError, match=r"marks.csv: line 3: cannot read .* as a latitude"):
        read_degrees(pd.Series(["-3.79", text]), "marks.csv", "latitude")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("512.345,67", 512345.67),
        ("512,345.67", 512345.67),
        ("9.585.123,4", 9585123.4),
        ("-1,234,567", -1234567.0),
        ("512,345", 512.345),  # one group and no other mark: a decimal comma
    ],
)
def test_numbers_with_thousands_separators_are_read_whole(text: str, expected: float) -> None:
    """A UTM x/y that Excel wrote as formatted (thousands separators) was read as degrees
    and minutes: 512.345,67 as 512.3° 45.67' = 512.43."""
    got = read_degrees(pd.Series([text, "1.5"]), "marks.csv", "longitude")
    assert got.tolist() == pytest.approx([expected, 1.5])


def test_excel_day_numbers_are_read_as_dates_with_a_note() -> None:
    """A date column that Excel saved as numbers was 'dates cannot be read, e.g. 45354'."""
    parsed, notes = normalise_dates(pd.Series(["45354", "45456.6", "2024-07-01"]), "m.csv")
    assert parsed.tolist() == [
        pd.Timestamp("2024-03-03", tz="UTC"),
        pd.Timestamp("2024-06-13 14:24", tz="UTC"),
        pd.Timestamp("2024-07-01", tz="UTC"),
    ]
    assert any("2 dates were Excel day numbers (e.g. '45354' = 2024-03-03)" in n for n in notes)
    # a 1904 workbook's numbers (Mac Excel) are 1462 days less: it cannot be told, so said
    assert any(
        "from a workbook set to the 1904 one" in n and "4 years and a day" in n for n in notes
    )
    with pytest.raises(InputError, match=r"1 date cannot be read, e\.g\. '12'"):
        normalise_dates(pd.Series(["12"]), "m.csv")


def test_an_excel_day_number_with_a_decimal_comma_is_read_in_a_semicolon_table(
    tmp_path: Path,
) -> None:
    """A ';' date table from European Excel with a date and time as a day number written with
    a decimal comma (45463,5) was refused: '1 date cannot be read, e.g. '45463,5''; whole day
    numbers and 45463.5 were read. Where the table's decimals are commas (a ';' table, as the
    reader reads its numbers), it is 45463.5; a ',' table's quoted '45463,5' is still refused."""
    table = tmp_path / "dates.csv"
    table.write_text("scene;date\na.tif;45463,5\nb.tif;45463\n", encoding="utf-8")
    dates = read_date_table(table)
    assert dates["a.tif"] == datetime(2024, 6, 20, 12, 0, tzinfo=UTC)
    assert dates["b.tif"] == datetime(2024, 6, 20, tzinfo=UTC)  # a day: GivenDay
    from detector.track_prepare import read_mark_dates

    marks = pd.DataFrame({"date": ["45463,5", "2024-06-21"]})  # a ';' marks CSV, as read
    got, _ = read_mark_dates(marks, "date", "marks.csv", {"decimal_comma": True})
    assert got.iloc[0] == pd.Timestamp("2024-06-20 12:00", tz="UTC")
    table.write_text('scene,date\na.tif,"45463,5"\n', encoding="utf-8")
    with pytest.raises(InputError, match=r"1 date cannot be read, e\.g\. '45463,5'"):
        read_date_table(table)


def test_dates_of_only_a_year_or_a_month_are_said_to_be_their_first_day() -> None:
    """'2024' and '2024-03' were read as 1 January and 1 March without a word."""
    out, notes = normalise_dates(pd.Series(["2024", "2024-03", "03/2024", "2024-03-05"]), "m.csv")
    assert list(out.dt.strftime("%Y-%m-%d")) == [
        "2024-01-01",
        "2024-03-01",
        "2024-03-01",
        "2024-03-05",
    ]
    text = " ".join(notes)
    assert "1 date gives only a year (e.g. '2024'): taken as 1 January" in text
    assert "2 dates give only a month (e.g. '2024-03'): taken as its first day" in text
    _, plain = normalise_dates(pd.Series(["2024-03-05", "20240306"]), "m.csv")
    assert not [n for n in plain if "give only" in n]


def test_day_first_dates_with_dashes_are_read_in_one_order() -> None:
    """'02-12-2024' beside '25-03-2025': pandas read each row its own way (2 December as
    12 February) and the '-2024' at the end was taken for a time zone (no note at all)."""
    values = pd.Series(["02-12-2024", "06-01-2025", "25-03-2025"])
    parsed, notes = normalise_dates(values, "d.csv")
    assert list(parsed.dt.strftime("%Y-%m-%d")) == ["2024-12-02", "2025-01-06", "2025-03-25"]
    assert any("read day first, as '25-03-2025' in the same column shows" in n for n in notes)
    assert any("dates have no time zone; taken as UTC" in n for n in notes)
    iso, _ = normalise_dates(pd.Series(["2024-03-05", "2024-03-06"]), "d.csv")
    assert list(iso.dt.day) == [5, 6]  # year first stays ISO


def test_day_first_dates_with_dashes_and_a_two_digit_year_are_read_in_one_order() -> None:
    """'25-03-24' beside '05-03-24' (Excel's dd-mm-yy): the second was read as 3 May, row by
    row, without a note; a lone '05-03-24' was read month first without saying so."""
    parsed, notes = normalise_dates(pd.Series(["25-03-24", "05-03-24", "2024-03-06"]), "d.csv")
    assert list(parsed.dt.strftime("%Y-%m-%d")) == ["2024-03-25", "2024-03-05", "2024-03-06"]
    assert any("1 date, '05-03-24', was read day first, as '25-03-24'" in n for n in notes)
    alone, notes = normalise_dates(pd.Series(["05-03-24"]), "d.csv")
    assert list(alone.dt.strftime("%Y-%m-%d")) == ["2024-05-03"]
    assert any("1 date, '05-03-24', was read month first (US order)" in n for n in notes)


def test_dates_with_spanish_or_portuguese_month_names_are_read() -> None:
    """Excel in Spanish writes dd-mmm-yy as '15-ene-24', '12-ago-24'; people type '15 de
    setiembre de 2024': all were 'dates cannot be read' (English 'Mar' was read)."""
    values = [
        "15-ene-24",
        "12-ago-24",
        "05-dic-2024",
        "15 de setiembre de 2024",
        "3 de março de 2024",
    ]
    parsed, _ = normalise_dates(pd.Series([*values, "15-Set.-24 14:30", "15/out/2024"]), "d.csv")
    assert list(parsed.dt.strftime("%Y-%m-%d %H:%M")) == [
        "2024-01-15 00:00",
        "2024-08-12 00:00",
        "2024-12-05 00:00",
        "2024-09-15 00:00",
        "2024-03-03 00:00",
        "2024-09-15 14:30",
        "2024-10-15 00:00",
    ]


def test_short_offsets_are_zones_and_bare_times_are_refused() -> None:
    parsed, notes = normalise_dates(pd.Series(["2024-03-17 09:51 -05"]), "d.csv")
    assert parsed.iloc[0] == pd.Timestamp("2024-03-17 14:51", tz="UTC")
    assert not [n for n in notes if "no time zone" in n]  # it said so, wrongly
    with pytest.raises(InputError, match=r"dates are times of day only \(e.g. '09:51:41'\)"):
        normalise_dates(pd.Series(["09:51:41", "10:02:00"]), "d.csv")  # they became today


def test_an_offset_written_after_utc_or_gmt_is_read_as_written() -> None:
    """'09:59:02 UTC-05:00' (Peru's time) was read the POSIX way, five hours east: 04:59 UTC
    instead of 14:59, ten hours off, with the note that the dates had no time zone."""
    values = pd.Series(
        [
            "2024-01-01 09:59:02 UTC-05:00",
            "2024-01-01 09:59:02 GMT-0500",
            "2024-01-01T09:59:02 utc-5",
        ]
    )
    parsed, notes = normalise_dates(values, "marks.csv")
    assert parsed.tolist() == [pd.Timestamp("2024-01-01 14:59:02", tz="UTC")] * 3
    assert notes == []


def test_a_month_named_in_words_is_said_to_be_its_first_day() -> None:
    _, notes = normalise_dates(pd.Series(["Jan 2024", "Feb 2024"]), "m.csv")
    assert any("2 dates give only a month (e.g. 'Jan 2024')" in n for n in notes)


def test_extra_fields_in_rows_are_one_line(tmp_path: Path) -> None:
    """Decimal commas in a ',' table: pandas took the extra fields for an index, and the error
    was 'positions such as -3.0, 7972521.0 are not degrees'."""
    path = tmp_path / "marks.csv"
    path.write_text("lon,lat,date\n-73,4235797,-3,7972521,2024-01-01\n")
    with pytest.raises(InputError, match="rows have more fields than its header") as caught:
        read_csv_table(path)
    assert "decimal commas" in str(caught.value)


def test_a_date_time_in_a_tiff_tags_form_is_read(tmp_path: Path) -> None:
    """`2024:12:31 22:00:00`, a GeoTIFF's DateTime or ACQUISITIONDATETIME tag copied into a
    --dates table or a mark's date, was read by pandas as 0001-01-01 22:00 UTC without a word:
    it is 2024-12-31 22:00, a time without its zone (UTC, its caveat says so), or in its zone."""
    table = tmp_path / "dates.csv"
    table.write_text(
        "scene,date\na.tif,2024:12:31 22:00:00\nb.tif,2024:12:31 22:00:00-05:00\n"
        "c.tif,2024:12:31 22:00:00.5 utc\n"
    )
    dates = read_date_table(table)
    assert dates["a.tif"] == datetime(2024, 12, 31, 22, tzinfo=UTC)
    assert isinstance(dates["a.tif"], ZonelessTime)
    assert dates["b.tif"] == datetime(2025, 1, 1, 3, tzinfo=UTC)
    assert not isinstance(dates["b.tif"], ZonelessTime)
    assert dates["c.tif"] == datetime(2024, 12, 31, 22, 0, 0, 500000, tzinfo=UTC)
    assert not isinstance(dates["c.tif"], ZonelessTime)
    parsed, notes = normalise_dates(pd.Series(["2024:12:31 22:00:00"]), "marks.csv")
    assert parsed.tolist() == [pd.Timestamp("2024-12-31 22:00", tz="UTC")]
    assert notes == ["marks.csv: dates have no time zone; taken as UTC"]


@pytest.mark.parametrize(
    "typed", ["0001-01-01", "1899-12-30", "1970-01-01T00:00:00Z", "15/03/1924", "1972-07-22"]
)
def test_dates_before_the_first_satellite_image_are_one_line(tmp_path: Path, typed: str) -> None:
    """A date before Landsat 1's first image (23 July 1972) is no scene's: a placeholder for
    none (0001-01-01, Excel's 1899-12-30, the Unix 1970-01-01) or a typo of the year. Read as
    written, its scene or marks were counted in a year of their own without a word."""
    with pytest.raises(InputError, match=r"1 date is before the first satellite image"):
        normalise_dates(pd.Series(["2024-03-05", typed]), "marcas.csv")
    table = tmp_path / "dates.csv"
    table.write_text(f"scene,date\na.tif,2024-03-05\nb.tif,{typed}\n")
    with pytest.raises(InputError) as caught:
        read_date_table(table)
    assert str(caught.value).startswith(
        f"{table}: 1 date is before the first satellite image (Landsat 1's, 1972-07-23), "
        f"e.g. '{typed}'"
    )
    assert "in the row of scene 'b.tif' — a typo, or a placeholder for none?" in str(caught.value)
    table.write_text("scene,date\na.tif,1972-07-23\n")  # Landsat 1's first day: a scene's
    assert read_date_table(table)["a.tif"].date() == date(1972, 7, 23)


def test_a_time_of_day_alone_among_dates_is_one_line(tmp_path: Path) -> None:
    """A row of a time alone (`22:00`) among dates was put on today's date by pandas, without a
    word (only a column of times alone was refused)."""
    with pytest.raises(InputError, match=r"1 of 2 dates is a time of day only \(e\.g\. '22:00'\)"):
        normalise_dates(pd.Series(["2024-03-05", "22:00"]), "marcas.csv")
    table = tmp_path / "dates.csv"
    table.write_text("scene,date\na.tif,2024-03-05\nb.tif,22:00:00\nc.tif,10:00 PM\n")
    with pytest.raises(InputError, match=r"dates\.csv: 2 of 3 dates are a time of day only"):
        read_date_table(table)


@pytest.mark.parametrize(
    "time", ["14:50Z", "14:50 UTC", "14:50 utc-5", "2:50 PM GMT", "14:50-05:00"]
)
def test_a_time_of_day_with_its_zone_among_dates_is_one_line(time: str) -> None:
    """A time of day alone with its zone (`14:50Z`, `14:50 UTC`) was no time alone: pandas put
    it on today's date, and the mark or the scene was dated today without a word; a column of
    them as well."""
    with pytest.raises(
        InputError, match=f"1 of 2 dates is a time of day only \\(e\\.g\\. '{time}'"
    ):
        normalise_dates(pd.Series(["2024-03-05 10:00", time]), "marcas.csv")
    with pytest.raises(InputError, match=f"dates are times of day only \\(e\\.g\\. '{time}'"):
        normalise_dates(pd.Series([time, time]), "marcas.csv")


@pytest.mark.parametrize(
    ("typed", "utc"),
    [
        ("2024-12-31 23:00 utc", "2024-12-31 23:00"),
        ("2024-12-31T23:00:00 gmt", "2024-12-31 23:00"),
        ("2024-12-31 23:00 Utc-05:00", "2025-01-01 04:00"),
        ("2024-12-31 23:00 UTC", "2024-12-31 23:00"),
        ("2024-12-31 23:00 GMT-0500", "2025-01-01 04:00"),
        ("2024-12-31 23:00 UTC+5", "2024-12-31 18:00"),
        ("2024-12-31 24:00 gmt-05:00", "2025-01-01 05:00"),
        ("2024-12-31T23:00z", "2024-12-31 23:00"),
    ],
)
def test_a_zone_named_in_any_case_is_read_alike_in_tables_and_date(
    tmp_path: Path, typed: str, utc: str
) -> None:
    """A zone named in lower case (`2024-12-31 23:00 utc`, `gmt`) 'cannot be read' in a --dates
    table or a mark's date; `--date` read it. A row with an offset after UTC (`UTC-05:00`) was
    read in its zone, but taken for a time without one: its caveat said that a time written
    without its zone is read as UTC. `--date 2024-12-31T23:00z` was 'not a date'. --date,
    tables and marks now read a named zone by one definition (given_dates.NAMED_ZONE)."""
    from detector.given_dates import given_time

    expected = datetime.fromisoformat(utc).replace(tzinfo=UTC)
    table = tmp_path / "dates.csv"
    table.write_text(f"scene,date\na.tif,{typed}\n")
    row = read_date_table(table)["a.tif"]
    assert row == expected
    assert not isinstance(row, ZonelessTime)
    assert normalise_dates(pd.Series([typed]), "marks.csv")[0].iloc[0] == expected
    assert given_time(typed) == expected
    assert not isinstance(given_time(typed), ZonelessTime)


@pytest.mark.parametrize("typed", ["2204-03-05", "05/03/2204", "2204-03-05T14:50:00-05:00"])
def test_dates_after_today_are_one_line(tmp_path: Path, typed: str) -> None:
    """A typo of the year (2204 for 2024) was read as written: its marks, or its scene from a
    --dates table, counted in a year 2204 of their own, without a word."""
    with pytest.raises(InputError, match=r"1 date is after today, e\.g\. '[^']*2204"):
        normalise_dates(pd.Series(["2024-03-05", typed]), "marcas.csv")
    table = tmp_path / "dates.csv"
    table.write_text(f"scene,date\na.tif,2024-03-05\nb.tif,{typed}\n")
    with pytest.raises(InputError, match=r"after today, .* in the row of scene 'b\.tif'"):
        read_date_table(table)


def test_a_zone_after_am_or_pm_is_said_to_be_one() -> None:
    """`12/31/2024 10:00 PM -05:00` was converted with its zone (1 January 03:00 UTC) while the
    note said the dates had no time zone and were taken as UTC."""
    parsed, notes = normalise_dates(pd.Series(["12/31/2024 10:00 PM -05:00"]), "marks.csv")
    assert parsed.iloc[0] == pd.Timestamp("2025-01-01 03:00", tz="UTC")
    assert not any("no time zone" in note for note in notes)


def test_a_two_digit_year_written_first_is_read_so_where_the_column_shows_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """'24-06-20' (yy-mm-dd) was read as 24 June 2020 without a word, four years off, also
    beside '24-07-28', which year last is 2028, after today."""
    monkeypatch.setattr("detector.date_sanity.latest_day", lambda: date(2026, 12, 7))
    parsed, notes = normalise_dates(pd.Series(["24-06-20", "24-07-28 14:50"]), "m.csv")
    assert list(parsed.dt.strftime("%Y-%m-%d %H:%M")) == ["2024-06-20 00:00", "2024-07-28 14:50"]
    assert any("1 date, '24-06-20', was read with the year first (2024-06-20)" in n for n in notes)
    alone, notes = normalise_dates(pd.Series(["24/06/20"]), "m.csv")  # nothing shows it
    assert list(alone.dt.strftime("%Y-%m-%d")) == ["2020-06-24"]
    assert any("two-digit year last" in n and "it would be 2024-06-20" in n for n in notes)
    shown, notes = normalise_dates(pd.Series(["28-07-24", "24-06-20"]), "m.csv")
    assert list(shown.dt.strftime("%Y-%m-%d")) == ["2024-07-28", "2020-06-24"]
    with pytest.raises(InputError, match=r"mix a two-digit year first \('24-07-28'\) and last"):
        normalise_dates(pd.Series(["24-07-28", "28-07-24"]), "m.csv")
    table = tmp_path / "dates.csv"
    table.write_text("scene,date\na.tif,24-06-20\n")
    with pytest.raises(InputError, match=r"two-digit year\s+first \(2024-06-20\) or last"):
        read_date_table(table)
    table.write_text("scene,date\na.tif,24-06-20\nb.tif,24-07-28\n")
    assert read_date_table(table)["a.tif"].date() == date(2024, 6, 20)


def test_two_digit_year_dates_are_weighed_once_per_distinct_date(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The order of a two-digit year was weighed row by row in Python (20 µs a row): 200,000
    rows of `24-06-20` were read in 5.4 s, ISO dates in 1.4 s; a column holds few distinct
    dates, each now weighed once (1.9 s), and read as before."""
    import detector.date_sanity as date_sanity

    monkeypatch.setattr(date_sanity, "latest_day", lambda: date(2026, 12, 7))
    calls: list[tuple[int, int, int]] = []
    real_day = date_sanity._day

    def counted(year: int, month: int, day: int, latest: date) -> date | None:
        calls.append((year, month, day))
        return real_day(year, month, day, latest)

    monkeypatch.setattr(date_sanity, "_day", counted)
    values = pd.Series(["24-06-20", "24-07-28 14:50", "24-06-20 09:00"] * 5_000)
    parsed, notes = normalise_dates(values, "m.csv")
    assert len(calls) <= 3 * 3  # three distinct dates, each weighed year first and last
    assert list(parsed[:3].dt.strftime("%Y-%m-%d %H:%M")) == [
        "2024-06-20 00:00", "2024-07-28 14:50", "2024-06-20 09:00",
    ]  # fmt: skip
    assert any("10,000 dates like '24-06-20' were read with the year first" in n for n in notes)


def test_a_two_digit_year_first_with_a_one_digit_day_is_read_in_the_columns_order(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`24/6/5` (yy/m/d: its last part one digit, so no year) escaped the column's order: it was
    read as 24 June 2005 beside `24/6/28`, read 28 June 2024, without a word; alone, too."""
    monkeypatch.setattr("detector.date_sanity.latest_day", lambda: date(2026, 12, 7))
    parsed, _ = normalise_dates(pd.Series(["24/6/5", "24/6/28 14:50"]), "m.csv")
    assert list(parsed.dt.strftime("%Y-%m-%d %H:%M")) == ["2024-06-05 00:00", "2024-06-28 14:50"]
    alone, _ = normalise_dates(pd.Series(["24-6-5"]), "m.csv")
    assert alone.iloc[0] == pd.Timestamp("2024-06-05", tz="UTC")
    parsed, notes = normalise_dates(pd.Series(["24.6.5", "24.06.20"]), "m.csv")
    assert list(parsed.dt.strftime("%Y-%m-%d")) == ["2024-06-05", "2024-06-20"]
    assert any("as '24.6.5' in the same column shows" in n for n in notes)
    with pytest.raises(InputError, match=r"mix a two-digit year first \('24/6/5'\)"):
        normalise_dates(pd.Series(["24/6/5", "28/6/24"]), "m.csv")
    day_first, _ = normalise_dates(pd.Series(["5/6/24", "28/6/24"]), "m.csv")  # as before
    assert list(day_first.dt.strftime("%Y-%m-%d")) == ["2024-06-05", "2024-06-28"]


def test_a_year_typo_in_day_first_dates_is_after_today_not_a_column_of_years_first(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`17-03-28` (28 typed for 24) among `15-03-24`, `16-03-24`: year last it is after today,
    which the two-digit-year rule took for proof of year first, and the whole column was read
    as 2015, 2016 and 2017 with only a note; the typo is named as after today, as before."""
    monkeypatch.setattr("detector.date_sanity.latest_day", lambda: date(2026, 12, 7))
    with pytest.raises(InputError, match=r"1 date is after today, e\.g\. '17-03-28'"):
        normalise_dates(pd.Series(["15-03-24", "16-03-24", "17-03-28"]), "m.csv")
    with pytest.raises(InputError, match=r"after today, e\.g\. '19/11/27' \(2027-11-19\)"):
        normalise_dates(pd.Series(["05/11/24", "12/11/24", "19/11/27"]), "m.csv")
    years_first = ["24-06-20", "24-06-28", "24-07-03", "23-07-28"]  # a column of years first
    parsed, _ = normalise_dates(pd.Series(years_first), "m.csv")
    assert list(parsed.dt.strftime("%Y-%m-%d")) == [
        "2024-06-20", "2024-06-28", "2024-07-03", "2023-07-28",
    ]  # fmt: skip


@pytest.mark.parametrize("rows", ["", ",2024-03-02\n", " ,\n"])
def test_a_dates_table_without_a_scene_row_is_one_line(tmp_path: Path, rows: str) -> None:
    """A --dates table of its header alone (written by a script that found no scene), or of
    rows naming no scene: 'times of day only' looked at the first of no dates, and `dredge run`
    (as `track`, `detect`, `review`) stopped with an IndexError traceback and exit 3."""
    table = tmp_path / "dates.csv"
    table.write_text(f"scene,date\n{rows}")
    with pytest.raises(InputError, match=r"dates\.csv: has no row naming a scene .*--dates"):
        read_date_table(table)
    assert normalise_dates(pd.Series([], dtype=str), "marks.csv")[0].empty


def test_a_tab_table_with_decimal_commas_reads_them_as_a_semicolon_table_does(
    tmp_path: Path,
) -> None:
    """Excel in a Spanish locale saves "Text (Tab delimited)" with decimal commas: they were
    kept as text ('-3,7512'), and a date table's '45463,5' was 'cannot be read'."""
    marks = tmp_path / "marcas.txt"
    marks.write_text("lon\tlat\tscore\tn\n-73,4123\t-3,7512\t0,85\t1,234\n", encoding="utf-8")
    table = read_csv_table(marks)
    assert table.separator == "\t" and table.decimal_comma
    assert table.frame.iloc[0].tolist() == [-73.4123, -3.7512, 0.85, 1.234]  # as a ';' table
    assert table.day_first_cue == "the table's decimal commas (a Spanish or Portuguese locale)"
    dates = tmp_path / "fechas.csv"
    dates.write_text("scene\tdate\na.tif\t45463,5\n", encoding="utf-8")
    assert read_date_table(dates)["a.tif"] == pd.Timestamp("2024-06-20 12:00", tz="UTC")
    english = tmp_path / "english.txt"  # 1,234 alone may be a thousands separator: as before
    english.write_text("lon\tlat\tn\n-73.4123\t-3.7512\t1,234\n", encoding="utf-8")
    table = read_csv_table(english)
    assert not table.decimal_comma and table.day_first_cue is None
    assert table.frame.iloc[0].tolist() == [-73.4123, -3.7512, "1,234"]


def test_an_english_tab_table_with_ids_like_12_5_keeps_its_decimal_points(tmp_path: Path) -> None:
    """A tab table of an English Excel with a tile column '12,5' beside '-73.4123': the comma
    was taken for a decimal comma, lon/lat stayed text and 03/01/2024 was read day first."""
    marks = tmp_path / "marks.txt"
    marks.write_text(
        "tile\tlon\tlat\tdate\n12,5\t-73.4123\t-3.7512\t03/01/2024\n"
        "12,6\t-73.42\t-3.76\t03/02/2024\n",
        encoding="utf-8",
    )
    table = read_csv_table(marks)
    assert not table.decimal_comma and table.day_first_cue is None
    assert table.frame["lon"].tolist() == [-73.4123, -73.42]
    assert table.frame["tile"].tolist() == ["12,5", "12,6"]
    spanish = tmp_path / "marcas.txt"  # 1.234 may be a Spanish thousands separator: no veto
    spanish.write_text("lon\tlat\tn\n-73,4123\t-3,7512\t1.234\n", encoding="utf-8")
    assert read_csv_table(spanish).decimal_comma


def test_a_bar_table_with_decimal_commas_reads_them_as_a_tab_table_does(tmp_path: Path) -> None:
    """A '|'-separated table (a locale whose list separator is '|') with decimal commas kept
    them as text ('-3,7512'), where a tab table's are read; a date table's '45463,5' was
    'cannot be read'. Read by the tab table's rule: '1,234' alone still shows nothing."""
    marks = tmp_path / "marcas.txt"
    marks.write_text("lon|lat|score|n\n-73,4123|-3,7512|0,85|1,234\n", encoding="utf-8")
    table = read_csv_table(marks)
    assert table.separator == "|" and table.decimal_comma
    assert table.frame.iloc[0].tolist() == [-73.4123, -3.7512, 0.85, 1.234]
    assert table.day_first_cue == "the table's decimal commas (a Spanish or Portuguese locale)"
    dates = tmp_path / "fechas.csv"
    dates.write_text("scene|date\na.tif|45463,5\n", encoding="utf-8")
    assert read_date_table(dates)["a.tif"] == pd.Timestamp("2024-06-20 12:00", tz="UTC")
    english = tmp_path / "english.txt"
    english.write_text("lon|lat|n\n-73.4123|-3.7512|1,234\n", encoding="utf-8")
    table = read_csv_table(english)
    assert not table.decimal_comma and table.day_first_cue is None
    assert table.frame.iloc[0].tolist() == [-73.4123, -3.7512, "1,234"]
