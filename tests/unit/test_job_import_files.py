"""CSV files as spreadsheets write them: the separator is sniffed, Indonesian headers and formats are understood."""

from __future__ import annotations

from datetime import date

import pytest

from dispatch.clock import at_local
from dispatch.errors import InvalidInput
from dispatch.planning.job_import import BadCsv, parse_row, read_rows

DAY = date(2031, 4, 22)
ENGLISH = "kind,application_number,applicant_name,phone,address_text,window_start,documents,lat,lon\n"
ROW = 'pickup,APP-1,Siti,081234567890,"Jl. Melati 1, Cipete",08:00,KTP;Formulir,-6.2615,106.8106\n'


def test_english_commas_as_before():
    """The original format still reads: comma-separated, English headers, ``HH:MM``, decimal points."""
    (row,) = read_rows((ENGLISH + ROW).encode())
    item = parse_row(row, DAY)
    assert item.booking.address_text == "Jl. Melati 1, Cipete" and item.booking.window_start == at_local(DAY, 8)
    assert item.booking.documents == (("KTP", 1), ("Formulir", 1)) and item.priority == 0


def test_excel_in_the_indonesian_locale():
    """``;`` separators, a BOM, Indonesian headers in any case and spacing, ``08.00``, decimal commas, jemput/antar,
    prioritas ya and a skill."""
    text = (
        "\ufeffJenis;No. Permohonan;Nama Pemohon;No HP;Alamat;RT/RW;Jam Mulai;Dokumen;Lintang;Bujur;Prioritas;"
        "Keahlian\n"
        "antar;APP-2;Agus;081234567891;Jl. Melati 2, Cipete;003/004;13.30;Izin terbit;-6,2611;106,8101;ya;Kuasa\n"
    )
    (row,) = read_rows(text.encode("utf-8"))
    item = parse_row(row, DAY)
    b = item.booking
    assert (b.kind, b.application_number, b.phone, b.rt_rw) == ("delivery", "APP-2", "081234567891", "003/004")
    assert b.window_start == at_local(DAY, 13, 30) and (b.lat, b.lon) == (-6.2611, 106.8101)
    assert (item.priority, item.skills) == (100, ("kuasa",))


@pytest.mark.parametrize(("value", "expected"), [("", 0), ("tidak", 0), ("50", 50), ("Mendesak", 100)])
def test_priority_words_and_numbers(value, expected):
    """Urgency as a spreadsheet says it: empty/tidak is 0, a number is kept, ya/mendesak is the top."""
    (row,) = read_rows((ENGLISH.strip() + ",priority\n" + ROW.strip() + f",{value}\n").encode())
    assert parse_row(row, DAY).priority == expected


def test_an_unknown_priority_is_a_row_error():
    """``sangat`` is not a priority: the row is refused with a message, not guessed."""
    (row,) = read_rows((ENGLISH.strip() + ",priority\n" + ROW.strip() + ",sangat\n").encode())
    with pytest.raises(InvalidInput):
        parse_row(row, DAY)


def test_missing_columns_are_named_in_the_file_error():
    """Headers that map to nothing leave the required columns missing: the file is refused as a whole."""
    with pytest.raises(BadCsv) as refused:
        read_rows(b"nama;telepon\nSiti;0812\n")
    assert "kind" in refused.value.message_en and "applicant_name" not in refused.value.message_en
