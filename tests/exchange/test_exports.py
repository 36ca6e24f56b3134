"""Exports: tables are safe in spreadsheets, the DOCX report uses real styles and valid XML."""
from __future__ import annotations

import io

import docx
import pandas as pd
import pytest

from workbench.exchange import docx_report, tables
from workbench.safety.sanitise import neutralise

QUOTES = pd.DataFrame([
    {"coding_id": 1, "code": "Fairs", "quote": "=cmd|' /C calc'!A0", "source": "s1", "case": "TX1", "speaker": "Ana",
     "role": "interviewee", "time": "00:01:02", "page": None, "turn": 3, "coder": "ana", "start": 0, "end": 5,
     "proposed by": "=LLM m at http://127.0.0.1:1/v1 (prompt turn-codebook-1, run 1): it fits"},
    {"coding_id": 2, "code": "Fairs", "quote": "bad \x00\x0b control \x1f chars", "source": "s2", "case": "IT1",
     "speaker": "Rui", "role": "interviewee", "time": "", "page": None, "turn": 0, "coder": "ana", "start": 0, "end": 9,
     "proposed by": ""},
])
CASES = pd.DataFrame({"case": ["TX1", "IT1"], "sector": ["Textile", "IT"], "note": ["@SUM(A1)", "+1"]})


@pytest.mark.parametrize("value,expected", [("=1+1", "'=1+1"), ("+A1", "'+A1"), ("-2", "'-2"), ("@x", "'@x"),
                                            ("plain", "plain"), (3, 3)])
def test_formula_cells_are_neutralised(value, expected):
    assert neutralise(value) == expected


def test_quotes_table_has_attributes_and_safe_cells(tmp_path):
    frame = tables.quotes_table(QUOTES, CASES)
    assert {"code_path", "sector", "note", "speaker", "time", "proposed by"} <= set(frame.columns)
    path = tables.write({"quotes": frame}, tmp_path / "q.xlsx")
    back = pd.read_excel(path)
    assert back.loc[0, "quote"].startswith("'=") and back.loc[0, "note"] == "'@SUM(A1)"
    assert back.loc[0, "proposed by"].startswith("'=LLM m")          # a model's words are neutralised too
    csv = tables.to_bytes({"quotes": frame}, "csv").decode("utf-8-sig")
    assert "'=cmd" in csv and "'+1" in csv
    assert not (tmp_path / "q.xlsx.partial").exists()


def test_docx_report_styles_citations_and_stripped_characters():
    report = docx_report.ReportInput(
        title="Study", description="Two sectors",
        codebook=[{"path": "Fairs", "depth": 0, "definition": "Trade fairs.", "when_to_use": "fairs",
                   "when_not_to_use": "", "examples": ["We went to Heimtextil."]}],
        quotes=QUOTES.merge(CASES, on="case"), code_memos={"Fairs": ["A memo on fairs"]},
        coding_memos={1: "why this"}, cite_with=["sector"])
    result = docx_report.build(report)
    assert result.quotes == 2 and result.stripped_characters == 3
    document = docx.Document(io.BytesIO(result.data))
    styles = [(p.style.name, p.text) for p in document.paragraphs]
    assert ("Title", "Study") in styles and ("Heading 1", "Codebook") in styles
    assert ("Quote", "bad  control  chars") in styles
    assert ("Caption", "TX1 · Textile · Ana, 00:01:02") in styles
    assert ("Caption", "IT1 · IT · Rui, turn 1") in styles
    assert ("Caption", "Memo: why this") in styles and ("Intense Quote", "A memo on fairs") in styles
