"""The ODS import (accounts.ods, ``manage.py import_ods``) on rows laid out as today's extracts are.

``etr.csv`` (trusts) and ``eccg.csv`` (sub-ICB locations, commissioning hubs) are headerless CSV
of 27 columns, every cell quoted; older extracts have 24, unquoted. Columns used: 1 code, 2 name,
3 national grouping (NHS England region), 4 high level health geography (the ICB), 11 open date,
12 close date, 24 GOR (W: Wales). The rows are built from that layout with real codes and names;
the April 2026 ICB merger at the end is illustrative (codes D7T5G, X5W4Q and its name made up).
"""

import io
from datetime import date

import pytest
from django.core.management import CommandError, call_command

from accounts.models import IntegratedCareSystem, Organisation
from accounts.ods import load_icbs, load_trusts, title

pytestmark = pytest.mark.django_db


def row(code, name, grouping="", geography="", opened="", closed="", *, gor="", columns=27):
    cells = [""] * columns
    cells[0], cells[1], cells[2], cells[3] = code, name, grouping, geography
    cells[4:9] = ["HEADQUARTERS", "1 HIGH STREET, FLOOR 2", "", "LONDON", ""]
    cells[9], cells[10], cells[11], cells[21], cells[23] = "SE1 7EH", opened, closed, "0", gor
    if columns == 24:  # older extracts: unquoted, so no commas inside a cell
        return ",".join(cell.replace(",", "") for cell in cells)
    return ",".join('"' + cell.replace('"', '""') + '"' for cell in cells)


def lines(*rows):
    return "\r\n".join(rows) + "\r\n"


# eccg.csv: sub-ICB locations (named "NHS … ICB - <own code>"), a London reporting entity whose
# name does not say its ICB, and a national commissioning hub (Y99/Q99) that is in no ICB.
ECCG = lines(
    row("72Q", "NHS SOUTH EAST LONDON ICB - 72Q", "Y56", "QKK", "20130401"),
    row("93C", "NHS NORTH CENTRAL LONDON ICB - 93C", "Y56", "QMJ", "20200401"),
    row("07M", "BARNET", "Y56", "QMJ", "20240401"),
    row("M2L0M", "NHS SHROPSHIRE, TELFORD AND WREKIN ICB - M2L0M", "Y60", "QOC", "20210401"),
    row("05W", "NHS STAFFORDSHIRE AND STOKE-ON-TRENT ICB - 05W", "Y60", "QNC", "20130401"),
    row("52R", "NHS NOTTINGHAM AND NOTTINGHAMSHIRE ICB - 52R", "Y60", "QT1", "20200401"),
    row("13Q", "NATIONAL COMMISSIONING HUB 1", "Y99", "Q99", "20130401"),
)

ETR = lines(
    row("RJ1", "GUY'S AND ST THOMAS' NHS FOUNDATION TRUST", "Y56", "QKK", "19930401", gor="H"),
    row("RJZ", "KING'S COLLEGE HOSPITAL NHS FOUNDATION TRUST", "Y56", "QKK", "19930401", gor="H"),
    # North London NHS FT: a new-format code, formed from the two trusts closed below.
    row("G6V2S", "NORTH LONDON NHS FOUNDATION TRUST", "Y56", "QMJ", "20241101", gor="H"),
    row(
        "RRP",
        "BARNET, ENFIELD AND HARINGEY MENTAL HEALTH NHS TRUST",
        "Y56",
        "QMJ",
        "20010401",
        "20241031",
        gor="H",
    ),
    row("RXW", "THE SHREWSBURY AND TELFORD HOSPITAL NHS TRUST", "Y60", "QOC", "20031101", gor="F"),
    row(
        "RJE", "UNIVERSITY HOSPITALS OF NORTH MIDLANDS NHS TRUST", "Y60", "QNC", "20140701", gor="F"
    ),
    row("RX9", "EAST MIDLANDS AMBULANCE SERVICE NHS TRUST", "Y60", "QT1", "19990701", gor="E"),
    # Welsh trusts: no region, no ICB.
    row("RQF", "VELINDRE UNIVERSITY NHS TRUST", "", "", "19940401", gor="W"),
    row("RT4", "WELSH AMBULANCE SERVICES UNIVERSITY NHS TRUST", "", "", "19980401", gor="W"),
    # An older extract's row: 24 columns, unquoted.
    row(
        "RAX",
        "KINGSTON AND RICHMOND NHS FOUNDATION TRUST",
        "Y56",
        "QKK",
        "19920401",
        gor="H",
        columns=24,
    ),
)


@pytest.fixture
def write(tmp_path):
    def make(name, text, encoding="utf-8"):
        path = tmp_path / name
        path.write_bytes(text.encode(encoding) if isinstance(text, str) else text)
        return path

    return make


def run(**files):
    out, err = io.StringIO(), io.StringIO()
    call_command("import_ods", stdout=out, stderr=err, **files)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def loaded(write):
    return run(icbs=write("eccg.csv", ECCG), trusts=write("etr.csv", ETR))


# --- Names --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ods", "shown"),
    [
        ("GUY'S AND ST THOMAS' NHS FOUNDATION TRUST", "Guy's and St Thomas' NHS Foundation Trust"),
        (
            "KING'S COLLEGE HOSPITAL NHS FOUNDATION TRUST",
            "King's College Hospital NHS Foundation Trust",
        ),
        ("NHS STAFFORDSHIRE AND STOKE-ON-TRENT ICB", "NHS Staffordshire and Stoke-on-Trent ICB"),
        (
            "THE NEWCASTLE UPON TYNE HOSPITALS NHS FOUNDATION TRUST",
            "The Newcastle upon Tyne Hospitals NHS Foundation Trust",
        ),
        (
            "UNIVERSITY HOSPITALS OF NORTH MIDLANDS NHS TRUST",
            "University Hospitals of North Midlands NHS Trust",
        ),
        (
            "BARNET, ENFIELD AND HARINGEY MENTAL HEALTH NHS TRUST",
            "Barnet, Enfield and Haringey Mental Health NHS Trust",
        ),
    ],
)
def test_names_are_written_as_people_write_them(ods, shown):
    assert title(ods) == shown


# --- ICBs from eccg.csv -------------------------------------------------------------------------


def test_icbs_are_built_from_the_sub_icb_locations_of_eccg(loaded):
    icbs = {ics.ods_code: ics for ics in IntegratedCareSystem.objects.all()}
    assert set(icbs) == {"QKK", "QMJ", "QOC", "QNC", "QT1"}
    assert icbs["QOC"].name == "NHS Shropshire, Telford and Wrekin ICB"
    assert icbs["QNC"].name == "NHS Staffordshire and Stoke-on-Trent ICB"
    assert icbs["QMJ"].name == "NHS North Central London ICB"


def test_regions_are_stored_by_name(loaded):
    london = IntegratedCareSystem.objects.get(ods_code="QKK")
    assert (london.region, london.region_code) == ("London", "Y56")
    assert IntegratedCareSystem.objects.get(ods_code="QT1").region == "Midlands"


def test_a_national_commissioning_hub_is_skipped_and_counted(loaded):
    out, _ = loaded
    assert "ICBs: 5 added, 0 updated, 0 unchanged, 0 closed" in out
    assert "1 outside England, skipped" in out.splitlines()[0]


def test_a_file_of_icbs_loads_them_with_their_own_dates(write):
    icbs = lines(
        row("QKK", "NHS SOUTH EAST LONDON INTEGRATED CARE BOARD", "Y56", "", "20220701"),
        row("D7T5G", "NHS SHROPSHIRE, STAFFORDSHIRE AND STOKE-ON-TRENT ICB", "Y60", "", "20260401"),
    )
    run(icbs=write("icbs.csv", icbs))
    new = IntegratedCareSystem.objects.get(ods_code="D7T5G")
    assert new.opened_on == date(2026, 4, 1)
    assert new.name == "NHS Shropshire, Staffordshire and Stoke-on-Trent ICB"


# --- Trusts -------------------------------------------------------------------------------------


def test_a_sound_extract_loads_with_exit_0_and_a_summary(loaded):
    out, err = loaded
    assert "trusts: 7 added, 0 updated, 0 unchanged, 0 closed" in out
    assert "1 closed before they were loaded, skipped" in out  # RRP, closed in 2024
    assert "2 outside England, skipped" in out  # the Welsh trusts
    assert err == ""


def test_new_format_codes_load(loaded):
    north_london = Organisation.objects.get(ods_code="G6V2S")
    assert north_london.name == "North London NHS Foundation Trust"
    assert north_london.opened_on == date(2024, 11, 1)
    assert north_london.ics.ods_code == "QMJ"


def test_welsh_trusts_and_trusts_closed_before_loading_are_not_created(loaded):
    assert not Organisation.objects.filter(ods_code__in=["RQF", "RT4", "RRP"]).exists()


def test_an_older_24_column_row_loads(loaded):
    assert Organisation.objects.get(ods_code="RAX").ics.ods_code == "QKK"


def test_running_twice_changes_nothing(write, loaded):
    before = list(Organisation.objects.values().order_by("pk"))
    out, _ = run(icbs=write("eccg.csv", ECCG), trusts=write("etr.csv", ETR))
    assert "ICBs: 0 added, 0 updated, 5 unchanged, 0 closed" in out
    assert "trusts: 0 added, 0 updated, 7 unchanged, 0 closed" in out
    assert list(Organisation.objects.values().order_by("pk")) == before


def test_windows_1252_files_load(write):
    icbs = lines(row("72Q", "NHS SOUTH EAST LONDON ICB - 72Q", "Y56", "QKK", "20130401"))
    trusts = lines(
        row(
            "RJZ",
            "KING\u2019S COLLEGE HOSPITAL NHS FOUNDATION TRUST",
            "Y56",
            "QKK",
            "19930401",
            gor="H",
        )
    )
    run(icbs=write("eccg.csv", icbs, "cp1252"), trusts=write("etr.csv", trusts, "cp1252"))
    assert Organisation.objects.get(ods_code="RJZ").name == (
        "King\u2019s College Hospital NHS Foundation Trust"
    )


def test_bad_rows_are_reported_one_by_one_and_the_rest_load(write, loaded):
    trusts = lines(
        row("R-J1", "A TRUST WITH A BROKEN CODE", "Y56", "QKK", "19930401"),
        row("RJ2", "A TRUST WITH A BROKEN DATE", "Y56", "QKK", "1993-04-01"),
        row("RJ3", "A TRUST IN AN ICB NOT LOADED", "Y56", "QZZ", "19930401"),
        '"RJ4","TOO FEW COLUMNS","Y56","QKK"',
        row("RJ5", "LEWISHAM AND GREENWICH NHS TRUST", "Y56", "QKK", "20090401"),
    )
    out, err = run(trusts=write("etr.csv", trusts))
    assert "trusts: 1 added" in out
    assert "4 problems" in out
    assert "'R-J1' is not a trust ODS code" in err
    assert "RJ2: the open or close date is not a date" in err
    assert "ICB 'QZZ', which is not loaded" in err
    assert "Line 4: 4 columns" in err
    assert Organisation.objects.filter(ods_code="RJ5").exists()


@pytest.mark.parametrize(
    "content",
    [
        b"<!DOCTYPE html><html><body>Service unavailable</body></html>",
        b"PK\x03\x04\x14\x00\x00\x00\x08\x00etr.csv",  # the zip, not the CSV in it
        b"Organisation Code,Name,Region\nRJ1,GUY'S,Y56\nRJZ,KING'S,Y56\n",  # another layout
        b"",
    ],
    ids=["html", "zip", "other-layout", "empty"],
)
def test_a_file_that_is_not_an_ods_extract_fails_the_command(write, content):
    with pytest.raises(CommandError, match="etr.csv"):
        run(trusts=write("etr.csv", content))
    assert not Organisation.objects.exists()


def test_a_missing_file_fails_the_command(tmp_path):
    with pytest.raises(CommandError, match="cannot be read"):
        run(trusts=tmp_path / "nowhere.csv")


def test_needs_a_file():
    with pytest.raises(CommandError, match="Give --icbs"):
        call_command("import_ods")


# --- Closures, mergers and moves ----------------------------------------------------------------

# A year on: North London's predecessors are gone, and on 1 April 2026 two Midlands ICBs merged.
# Their sub-ICB locations close with them and new ones open in the new ICB (illustrative codes).
ECCG_2026 = lines(
    row("72Q", "NHS SOUTH EAST LONDON ICB - 72Q", "Y56", "QKK", "20130401"),
    row("93C", "NHS NORTH CENTRAL LONDON ICB - 93C", "Y56", "QMJ", "20200401"),
    row(
        "M2L0M",
        "NHS SHROPSHIRE, TELFORD AND WREKIN ICB - M2L0M",
        "Y60",
        "QOC",
        "20210401",
        "20260331",
    ),
    row(
        "05W",
        "NHS STAFFORDSHIRE AND STOKE-ON-TRENT ICB - 05W",
        "Y60",
        "QNC",
        "20130401",
        "20260331",
    ),
    row(
        "X5W4Q",
        "NHS SHROPSHIRE, STAFFORDSHIRE AND STOKE-ON-TRENT ICB - X5W4Q",
        "Y60",
        "D7T5G",
        "20260401",
    ),
    row("52R", "NHS NOTTINGHAM AND NOTTINGHAMSHIRE ICB - 52R", "Y60", "QT1", "20200401"),
)
ETR_2026 = lines(
    row("RJ1", "GUY'S AND ST THOMAS' NHS FOUNDATION TRUST", "Y56", "QKK", "19930401", gor="H"),
    # King's merged into Guy's and St Thomas' (illustrative).
    row(
        "RJZ",
        "KING'S COLLEGE HOSPITAL NHS FOUNDATION TRUST",
        "Y56",
        "QKK",
        "19930401",
        "20260331",
        gor="H",
    ),
    row("G6V2S", "NORTH LONDON NHS FOUNDATION TRUST", "Y56", "QMJ", "20241101", gor="H"),
    row(
        "RXW", "THE SHREWSBURY AND TELFORD HOSPITAL NHS TRUST", "Y60", "D7T5G", "20031101", gor="F"
    ),
    row(
        "RJE",
        "UNIVERSITY HOSPITALS OF NORTH MIDLANDS NHS TRUST",
        "Y60",
        "D7T5G",
        "20140701",
        gor="F",
    ),
    row("RX9", "EAST MIDLANDS AMBULANCE SERVICE NHS TRUST", "Y60", "QT1", "19990701", gor="E"),
    row("RAX", "KINGSTON AND RICHMOND NHS FOUNDATION TRUST", "Y56", "QKK", "19920401", gor="H"),
)
# succ.csv: column 1 the closed organisation, column 2 its successor, then reason and date.
SUCC = lines('"RJZ","RJ1","M","20260401",""', '"RRP","G6V2S","M","20241101",""')


@pytest.fixture
def a_year_on(write, loaded):
    return run(
        icbs=write("eccg.csv", ECCG_2026),
        trusts=write("etr.csv", ETR_2026),
        successors=write("succ.csv", SUCC),
    )


def test_abolished_icbs_are_closed_and_kept(a_year_on):
    out, _ = a_year_on
    shropshire = IntegratedCareSystem.objects.get(ods_code="QOC")
    assert shropshire.closed_on == date(2026, 3, 31)
    assert shropshire.is_closed
    assert IntegratedCareSystem.objects.get(ods_code="D7T5G").name == (
        "NHS Shropshire, Staffordshire and Stoke-on-Trent ICB"
    )
    assert "ICBs: 1 added, 2 updated, 3 unchanged, 2 closed" in out


def test_trusts_follow_the_icb_merger(a_year_on):
    out, _ = a_year_on
    assert Organisation.objects.get(ods_code="RXW").ics.ods_code == "D7T5G"
    assert Organisation.objects.get(ods_code="RJE").ics.ods_code == "D7T5G"
    assert "2 moved to another ICS" in out


def test_a_closed_trust_keeps_its_history_and_its_successor(a_year_on):
    kings = Organisation.objects.get(ods_code="RJZ")
    assert kings.closed_on == date(2026, 3, 31)
    assert kings.is_closed
    assert kings.ics.ods_code == "QKK"
    assert kings.successor.ods_code == "RJ1"


def test_successor_rows_about_organisations_not_loaded_are_left_alone(a_year_on):
    out, _ = a_year_on
    assert "successors: 0 added, 1 updated, 0 unchanged" in out  # RRP was never loaded


def test_the_year_on_import_is_idempotent_too(write, a_year_on):
    out, _ = run(
        icbs=write("eccg.csv", ECCG_2026),
        trusts=write("etr.csv", ETR_2026),
        successors=write("succ.csv", SUCC),
    )
    assert "ICBs: 0 added, 0 updated, 6 unchanged, 0 closed" in out
    assert "trusts: 0 added, 0 updated, 7 unchanged, 0 closed" in out
    assert "successors: 0 added, 0 updated, 1 unchanged" in out


def test_a_close_date_still_to_come_leaves_the_trust_open(write, loaded):
    trusts = lines(
        row(
            "RJZ",
            "KING'S COLLEGE HOSPITAL NHS FOUNDATION TRUST",
            "Y56",
            "QKK",
            "19930401",
            "20990331",
            gor="H",
        ),
    )
    run(trusts=write("etr.csv", trusts))
    kings = Organisation.objects.get(ods_code="RJZ")
    assert kings.closed_on == date(2099, 3, 31)
    assert not kings.is_closed


def test_a_trust_whose_ics_was_set_by_hand_is_not_moved(write, loaded):
    ambulance = Organisation.objects.get(ods_code="RX9")
    ambulance.ics = IntegratedCareSystem.objects.get(ods_code="QNC")
    ambulance.ics_overridden = True
    ambulance.save()
    out, _ = run(icbs=write("eccg.csv", ECCG), trusts=write("etr.csv", ETR))
    assert Organisation.objects.get(ods_code="RX9").ics.ods_code == "QNC"
    assert "moved" not in out


def test_loaders_take_the_day_to_judge_closures_by():
    load_icbs(lines(row("72Q", "NHS SOUTH EAST LONDON ICB - 72Q", "Y56", "QKK", "20130401")))
    trusts = lines(
        row(
            "RJZ",
            "KING'S COLLEGE HOSPITAL NHS FOUNDATION TRUST",
            "Y56",
            "QKK",
            "19930401",
            "20260331",
            gor="H",
        )
    )
    result = load_trusts(trusts, today=date(2026, 3, 1))
    assert result.created == 1
    assert result.closed == 0
