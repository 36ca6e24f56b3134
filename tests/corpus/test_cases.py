"""Cases and the case table: typed attributes, CSV/XLSX, bad values with their line."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from workbench.corpus.case_table import export_case_table, import_case_table, read_table
from workbench.corpus.cases import attribute_types, case_table, infer_type, parse_value
from workbench.db.models import AttributeType
from workbench.errors import InvalidCaseTable


def test_case_table_roundtrip_with_types(store, project, tmp_path):
    project_id, coder_id = project
    csv = tmp_path / "cases.csv"
    csv.write_text("case,sector,employees,exporter,since\nA,Textile,46,yes,2004-05-01\nB,IT,12,no,\n",
                   encoding="utf-8")
    with store.write("cases", project_id=project_id, coder_id=coder_id) as s:
        result = import_case_table(s, project_id, read_table(csv), file=str(csv))
        assert result == {"cases": 2, "created": 2, "attributes": 4}
        assert attribute_types(s, project_id) == {
            "sector": "text", "employees": "number", "exporter": "boolean", "since": "date"}
    with store.read() as s:
        frame = case_table(s, project_id)
        assert frame.loc[0, "since"] == dt.date(2004, 5, 1)
        assert bool(frame.loc[1, "exporter"]) is False and not pd.isna(frame.loc[1, "exporter"])
        for ext in ("csv", "xlsx"):
            out = export_case_table(s, project_id, tmp_path / f"out.{ext}")
            back = read_table(out)
            assert list(back.columns) == ["case", "sector", "employees", "exporter", "since"]
            assert len(back) == 2


def test_bad_case_value_names_line_and_column(store, project, tmp_path):
    project_id, coder_id = project
    first = tmp_path / "cases.csv"
    first.write_text("case,employees\nA,46\n", encoding="utf-8")
    with store.write("cases", project_id=project_id, coder_id=coder_id) as s:
        import_case_table(s, project_id, read_table(first))
    second = tmp_path / "more.csv"
    second.write_text("case,employees\nB,12\nC,about fifty\n", encoding="utf-8")
    with pytest.raises(InvalidCaseTable) as exc:
        with store.write("cases", project_id=project_id, coder_id=coder_id) as s:
            import_case_table(s, project_id, read_table(second), file=str(second))
    assert exc.value.line == 3 and "employees" in str(exc.value) and "about fifty" in str(exc.value)
    with store.read() as s:
        assert list(case_table(s, project_id)["case"]) == ["A"]


@pytest.mark.parametrize("cell", ["1,200", "0123", "nan", "inf", "1.200,50"])
def test_ambiguous_numbers_are_not_numbers(cell):
    assert infer_type([cell, "12"]).value == "text"


def test_semicolon_csv_and_single_column(tmp_path):
    f = tmp_path / "c.csv"
    f.write_text("case;sector\nA;Textile\n", encoding="utf-8")
    assert list(read_table(f).columns) == ["case", "sector"]
    g = tmp_path / "one.csv"
    g.write_text("case\nAlpha\nBeta\n", encoding="utf-8")
    assert list(read_table(g).columns) == ["case"]


def test_dates_must_be_whole():
    with pytest.raises(InvalidCaseTable):
        parse_value("2023-01-01 approx", AttributeType.date)


def test_a_category_is_offered_as_choices_and_free_text_is_not():
    import pandas as pd

    from workbench.corpus.cases import attribute_choices
    frame = pd.DataFrame({"case": list("abcdef"), "sector": ["IT", "Textile", "IT", " Textile ", None, pd.NA],
                          "markets": ["Spain", "France", "Angola", "Germany", "Brazil", "Italy"]})
    assert attribute_choices(frame, "sector") == ["IT", "Textile"]      # trimmed, each once
    assert attribute_choices(frame, "markets") is None                   # every case its own: free text
    assert attribute_choices(frame, "missing") is None
    assert attribute_choices(frame.assign(sector=None), "sector") is None
