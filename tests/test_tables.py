import pytest

from scheduler.errors import InputFileError
from scheduler.io.tables import read_agents, read_calendar, read_history


def test_history_ok(write):
    p = write("h.csv", "ds,queue,volume,aht_s\n2026-01-01 00:00,chat,3,\n2026-01-01 00:15,chat,0,300\n")
    h = read_history(p)
    assert list(h.columns) == ["ds", "queue", "volume", "aht_s"]
    assert h["volume"].tolist() == [3.0, 0.0]


def test_history_without_queue_is_one_queue(write):
    h = read_history(write("h.csv", "ds,volume\n2026-01-01 00:00,3\n"))
    assert h["queue"].tolist() == ["all"]


@pytest.mark.parametrize(
    "text, needle",
    [
        ("ds,queue\n2026-01-01 00:00,chat\n", "missing column 'volume'"),
        ("ds,queue,volume\n2026-01-01 00:00,chat,-1\n", "row 2, column 'volume': out of range (got '-1')"),
        ("ds,queue,volume\n01/02/2026 10:00,chat,1\n", "row 2, column 'ds': not a timestamp (got '01/02/2026 10:00')"),
        ("ds,queue,volume\n2026-01-01 00:00,chat,x\n", "column 'volume': not a number"),
        ("ds,queue,volume\n2026-01-01 00:00,chat,1\n2026-01-01 00:00,chat,2\n", "row 3"),
    ],
)
def test_history_errors_name_file_row_column(write, text, needle):
    p = write("h.csv", text)
    with pytest.raises(InputFileError) as exc:
        read_history(p)
    assert str(p) in str(exc.value)
    assert needle in str(exc.value)


def _history_text(volumes, queue="chat"):
    rows = [f"2026-01-{1 + i // 96:02d} {(i % 96) // 4:02d}:{15 * (i % 4):02d},{queue},{v}" for i, v in enumerate(volumes)]
    return "ds,queue,volume\n" + "\n".join(rows) + "\n"


def test_history_volume_far_above_the_rest_of_its_queue_is_an_error(write):
    """A typo (25,000 chats in a quarter hour where the queue's 99th percentile is ~60) made the requirement
    thousands of agents, the roster's cost NaN and the run end in a traceback; 1e12 broke the forecast. A
    volume 50 times the queue's 99th percentile is named with its row; a tenfold spike is kept."""
    volumes = [20 + (i * 7) % 41 for i in range(400)]         # 20..60 contacts an interval
    volumes[123] = 25000
    p = write("h.csv", _history_text(volumes))
    with pytest.raises(InputFileError) as exc:
        read_history(p)
    msg = str(exc.value)
    assert str(p) in msg and "row 125" in msg and "'volume'" in msg and "25000" in msg and "99th percentile" in msg
    volumes[123] = 600                                          # 10x the percentile: a spike, kept
    assert read_history(write("h2.csv", _history_text(volumes)))["volume"].max() == 600


def test_all_problems_reported_together(write):
    p = write("h.csv", "ds,queue,volume\nbad,chat,1\n2026-01-01 00:00,chat,-5\n")
    with pytest.raises(InputFileError) as exc:
        read_history(p)
    assert len(exc.value.problems) == 2


def test_missing_file(tmp_path):
    with pytest.raises(InputFileError, match="not found"):
        read_history(tmp_path / "nope.csv")


def test_calendar(write):
    p = write("c.csv", "name,kind,start,end,peak,uplift\ndouble11,promotion,2025-10-20,2025-11-30,2025-11-11,\n")
    c = read_calendar(p)
    assert c["peak"].iloc[0].day == 11
    with pytest.raises(InputFileError, match="unknown kind"):
        read_calendar(write("c2.csv", "name,kind,start,end\nx,party,2025-01-01,2025-01-02\n"))
    with pytest.raises(InputFileError, match="ends before it starts"):
        read_calendar(write("c3.csv", "name,kind,start,end\nx,holiday,2025-01-03,2025-01-02\n"))
    # +50 % typed as 150: 150 times the volume (service-level curves of 161 M cells later)
    with pytest.raises(InputFileError, match=r"row 2, column 'uplift': out of range \(got '150'\); expected a volume "
                                             r"multiplier up to 20"):
        read_calendar(write("c4.csv", "name,kind,start,end,peak,uplift\nx,promotion,2025-10-20,2025-11-30,2025-11-11,150\n"))


AGENTS = "agent_id,name,team,skills,contract,seniority,unavailable,night_ok\n"


def test_agents(write):
    p = write("a.csv", AGENTS + "A1,Li Na,tier1,chat;email,full_time,senior,2026-11-03;2026-11-10..2026-11-12,yes\n")
    a = read_agents(p, teams={"tier1"}, contracts={"full_time"}, queues={"chat", "email"})
    assert a["skills"].iloc[0] == ("chat", "email")
    assert len(a["unavailable"].iloc[0]) == 4
    assert a["night_ok"].iloc[0]


def test_agents_unknown_team_and_contract(write):
    p = write("a.csv", AGENTS + "A1,x,vendor,chat,ft,senior,,\n")
    with pytest.raises(InputFileError) as exc:
        read_agents(p, teams={"tier1", "overflow"}, contracts={"full_time"}, queues={"chat"})
    msg = str(exc.value)
    assert "row 2, column 'team': unknown team (got 'vendor')" in msg
    assert "column 'contract': unknown contract (got 'ft')" in msg


def _history_sheet(second_queue, second_volume):
    """A two-row history workbook on a sheet named 'hist' (workbook, sheet)."""
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "hist"
    ws.append(["ds", "queue", "volume"])
    ws.append(["2026-01-01 00:00", "chat", 4])
    ws.append(["2026-01-01 00:15", second_queue, second_volume])
    return wb, ws


def test_excel_input_names_the_cell(tmp_path):
    wb, ws = _history_sheet("chat", -2)
    p = tmp_path / "h.xlsx"
    wb.save(p)
    with pytest.raises(InputFileError) as exc:
        read_history(p)
    assert "hist!C3" in str(exc.value)
    ok = tmp_path / "ok.xlsx"
    ws["C3"] = 2
    wb.save(ok)
    assert read_history(ok, sheet="hist")["volume"].sum() == 6


def test_renamed_csv_is_not_a_workbook(write):
    p = write("h.xlsx", "ds,volume\n")
    with pytest.raises(InputFileError, match="not an .xlsx workbook"):
        read_history(p)


def test_excel_datetime_cells_at_midnight_are_timestamps(tmp_path):
    # a history whose ds cells are real Excel date-times: 00:00 is a time like any other
    import datetime as dt

    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["ds", "queue", "volume"])
    for minute in (0, 15, 30):
        ws.append([dt.datetime(2026, 6, 20, 0, minute), "chat", 1])
    ws.append([dt.datetime(2026, 6, 21), "chat", 2])
    ws["A5"].number_format = "yyyy-mm-dd hh:mm"      # as typed in Excel; openpyxl's own default is h:mm:ss
    p = tmp_path / "h.xlsx"
    wb.save(p)
    h = read_history(p)
    assert h["ds"].dt.strftime("%Y-%m-%d %H:%M").tolist() == [
        "2026-06-20 00:00", "2026-06-20 00:15", "2026-06-20 00:30", "2026-06-21 00:00"]


def test_excel_date_cells_in_date_columns(tmp_path):
    # date-only cells (and date-times at midnight) in a calendar's date columns are dates
    import datetime as dt

    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["name", "kind", "start", "end", "peak"])
    ws.append(["double11", "promotion", dt.date(2026, 10, 20), dt.date(2026, 11, 30), dt.date(2026, 11, 11)])
    ws.append(["national_day", "holiday", dt.datetime(2026, 10, 1), dt.datetime(2026, 10, 7), None])
    p = tmp_path / "c.xlsx"
    wb.save(p)
    c = read_calendar(p)
    assert [d.strftime("%Y-%m-%d") for d in c["start"]] == ["2026-10-20", "2026-10-01"]
    assert c["end"].iloc[1].day == 7 and c["peak"].iloc[0].day == 11
    # a date-only cell is not a timestamp in a history's ds column (which interval of the day?)
    wb = openpyxl.Workbook()
    wb.active.append(["ds", "volume"])
    wb.active.append([dt.date(2026, 6, 20), 1])
    p = tmp_path / "h.xlsx"
    wb.save(p)
    with pytest.raises(InputFileError, match=r"Sheet!A2, column 'ds': not a timestamp \(got '2026-06-20'\)"):
        read_history(p)


def test_calendar_repeated_or_overlapping_event_is_an_error(write):
    # a row given twice would count its effect twice (the forecast nearly doubled on the sample data)
    head = "name,kind,start,end,peak,uplift\n"
    d11 = "double11,promotion,2026-10-20,2026-12-01,2026-11-11,\n"
    p = write("c.csv", head + d11 + "national_day,holiday,2026-10-01,2026-10-07,,\n" + d11)
    with pytest.raises(InputFileError) as exc:
        read_calendar(p)
    msg = str(exc.value)
    assert len(exc.value.problems) == 1 and "\n" not in msg
    assert f"{p}, row 4, column 'name': the same event as row 2 (double11 2026-10-20..2026-12-01)" in msg
    assert "expected each event once" in msg
    p = write("c2.csv", head + d11 + "Double11,promotion,2026-11-01,2026-11-20,2026-11-11,\n")
    with pytest.raises(InputFileError) as exc:
        read_calendar(p)
    msg = str(exc.value)
    assert f"{p}, row 3, column 'start': overlaps row 2 (double11 2026-10-20..2026-12-01) of the same name" in msg
    assert "(got '2026-11-01')" in msg
    # occurrences of one event in different years, and different events on the same days, are fine
    ok = write("c3.csv", head + "double11,promotion,2025-10-21,2025-11-30,2025-11-11,\n" + d11
               + "national_day,holiday,2026-10-20,2026-10-25,,\n")
    assert len(read_calendar(ok)) == 3


def test_csv_saved_by_excel_the_usual_wrong_ways(tmp_path):
    """A GBK / Latin-1 CSV names the line of its first non-UTF-8 byte; a ';'-separated one says so; the ',,,' rows
    Excel leaves at the end are skipped as they are in a workbook (they were 'empty cell' errors)."""
    latin = tmp_path / "l.csv"
    latin.write_bytes(b"ds,queue,volume\n2026-01-01 00:00,chat,1\n2026-01-01 00:15,caf\xe9,2\n")
    with pytest.raises(InputFileError) as e:
        read_history(latin)
    assert f"{latin}, row 3: not UTF-8 text (got 'byte 0xe9')" in str(e.value)
    semi = tmp_path / "s.csv"
    semi.write_text("ds;queue;volume\n2026-01-01 00:00;chat;1\n", encoding="utf-8")
    with pytest.raises(InputFileError, match="separates its values with ';'"):
        read_history(semi)
    trail = tmp_path / "t.csv"
    trail.write_text("ds,queue,volume\n2026-01-01 00:00,chat,1\n,,\n , ,\n", encoding="utf-8")
    assert len(read_history(trail)) == 1
    inner = tmp_path / "i.csv"
    inner.write_text("ds,queue,volume\n,,\n2026-01-01 00:00,chat,1\n", encoding="utf-8")
    with pytest.raises(InputFileError, match="row 2"):
        read_history(inner)                 # an empty row inside the data is still named


def test_excel_input_with_merged_cells_is_an_error(tmp_path):
    # a team merged over its agents' rows shows one value but leaves the other cells empty: name the range
    wb, ws = _history_sheet(None, 2)
    ws.merge_cells("B2:B3")
    p = tmp_path / "h.xlsx"
    wb.save(p)
    with pytest.raises(InputFileError) as exc:
        read_history(p)
    msg = str(exc.value)
    assert "hist!B2:B3" in msg and "merged" in msg and "unmerge" in msg
    ws.unmerge_cells("B2:B3")
    ws["B3"] = "chat"
    wb.save(p)
    assert read_history(p)["volume"].sum() == 6
