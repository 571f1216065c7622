from streams.codecs import parse_entry
from streams.domain.matching.bulk import derived_entry_id, read_entries_csv, write_entries_csv
from tests.unit.fixtures import NOW

GOOD_AND_BAD = """plate,category,priority,reason,source_agency,valid_until,covert
苏K12345,stolen,1,车辆被盗,扬州市公安局,,false
苏H5Z261,lookout,2,淮安协查,淮安市公安局,2026-12-31T00:00:00+08:00,否
ABC123,stolen,1,bad plate,扬州市公安局,,false
苏K22222,speeding,1,bad category,扬州市公安局,,false
苏K33333,stolen,7,bad priority,扬州市公安局,,false
苏K44444,stolen,1,bad time,扬州市公安局,next week,false
苏K55555,stolen,1,bad covert,扬州市公安局,,maybe
苏K12345,stolen,1,same again,扬州市公安局,,false
苏K66666,stolen,one,word priority,扬州市公安局,,false
苏K77777,wanted,1,too,many,fields,false,x
"""


def test_good_rows_are_kept_and_each_bad_row_is_reported_by_line() -> None:
    result = read_entries_csv(GOOD_AND_BAD, added_by="officer-7", now=NOW, check=parse_entry)
    assert [m["plate"] for m in result.messages] == ["苏K12345", "苏H5Z261"]
    assert [e.line for e in result.errors] == [4, 5, 6, 7, 8, 9, 10, 11]
    reasons = [e.reason for e in result.errors]
    assert "plate" in reasons[0] and "category" in reasons[1] and "priority" in reasons[2]
    assert "valid_until" in reasons[3] and "covert" in reasons[4] and "repeats line 2" in reasons[5]
    assert str(result.errors[0]).startswith("line 4: ")
    assert result.messages[1]["covert"] is False and result.messages[0]["added_by"] == "officer-7"


def test_ids_are_derived_so_a_second_import_changes_nothing() -> None:
    first = read_entries_csv(GOOD_AND_BAD, added_by="a", now=NOW, check=parse_entry).messages
    again = read_entries_csv(GOOD_AND_BAD, added_by="a", now=NOW, check=parse_entry).messages
    assert [m["entry_id"] for m in first] == [m["entry_id"] for m in again]
    assert first[0]["entry_id"] == derived_entry_id("扬州市公安局", "苏K12345", "stolen")


def test_missing_columns_refuse_the_whole_file() -> None:
    result = read_entries_csv("plate,category\n苏K12345,stolen\n", added_by="a", now=NOW, check=parse_entry)
    assert result.messages == [] and "missing column" in result.errors[0].reason
    result = read_entries_csv(
        "plate,category,priority,reason,source_agency,colour\n", added_by="a", now=NOW, check=parse_entry
    )
    assert "unknown column" in result.errors[0].reason


def test_export_reads_back_to_the_same_entries() -> None:
    imported = read_entries_csv(GOOD_AND_BAD, added_by="a", now=NOW, check=parse_entry).messages
    entries = [parse_entry(str(m["entry_id"]), m) for m in imported]
    again = read_entries_csv(write_entries_csv(entries), added_by=None, now=NOW, check=parse_entry).messages
    assert [parse_entry(str(m["entry_id"]), m) for m in again] == sorted(entries, key=lambda e: e.entry_id)
    assert (
        read_entries_csv(
            "\ufeff" + write_entries_csv(entries), added_by=None, now=NOW, check=parse_entry
        ).errors
        == []
    )
