"""Parsing transcripts and documents into text + segments (pure functions)."""
from __future__ import annotations

import pytest

from tests.helpers import make_docx, make_pdf
from workbench.corpus.language import guess_language
from workbench.corpus.parsers import parse_bytes
from workbench.corpus.parsers.plain_text import parse_turns
from workbench.corpus.text import normalise
from workbench.corpus.timecodes import parse_timestamp
from workbench.errors import InvalidSource


def turns(parsed):
    return [(s.speaker, parsed.text[a:b], s.t_start) for s, (a, b) in zip(parsed.segments, parsed.spans)]


def test_normalise_makes_nfc_and_unix_newlines():
    decomposed = "Cafe\u0301\r\nna\u0303o\rfim  \n"
    assert normalise(decomposed) == "Café\nnão\nfim"


def test_colon_labels_with_timestamps_and_continuation_lines():
    text = ("[00:00:05] Interviewer: Good morning.\n\n"
            "[00:00:09] Ana Sá: Bom dia.\nWe export to Spain.\n\n"
            "[00:01:02] Interviewer: Why Spain?\n")
    parsed = parse_turns(text, "txt")
    assert turns(parsed) == [("Interviewer", "Good morning.", 5.0),
                             ("Ana Sá", "Bom dia.\nWe export to Spain.", 9.0),
                             ("Interviewer", "Why Spain?", 62.0)]
    assert parsed.segments[1].t_end == 62.0
    assert parsed.text == "Good morning.\n\nBom dia.\nWe export to Spain.\n\nWhy Spain?"


def test_bracket_labels_q_a_and_numbered_interviewers():
    text = "[Interviewer 1] How did it start?\n[Rui] With a fair.\nQ: And then?\nA: Then Germany."
    parsed = parse_turns(text, "txt")
    assert [t[0] for t in turns(parsed)] == ["Interviewer 1", "Rui", "Q", "A"]
    assert turns(parsed)[3][1] == "Then Germany."


def test_one_off_colon_in_prose_is_not_a_speaker():
    text = "Rui: We went.\nNote: the fair was expensive.\nRui: Yes."
    parsed = parse_turns(text, "txt")
    assert parsed.speakers == ["Rui"]
    assert parsed.text == "We went.\nNote: the fair was expensive.\n\nYes."


def test_text_without_speakers_is_a_document_of_paragraphs():
    parsed = parse_turns("First paragraph\nstill first.\n\nSecond one.", "txt")
    assert parsed.kind == "document"
    assert [parsed.text[a:b] for a, b in parsed.spans] == ["First paragraph\nstill first.", "Second one."]


@pytest.mark.parametrize("ts,seconds", [("00:12:03", 723.0), ("12:03", 723.0), ("1:00:00,500", 3600.5)])
def test_timestamps(ts, seconds):
    assert parse_timestamp(ts) == seconds


def test_spans_index_the_stored_text_with_emoji_and_accents():
    parsed = parse_turns("Ana: Olá 👍 ção\nRui: fim\nAna: ok", "txt")
    for seg, (a, b) in zip(parsed.segments, parsed.spans):
        assert parsed.text[a:b] == seg.text
    assert parsed.text[parsed.spans[0][0]:parsed.spans[0][1]] == "Olá 👍 ção"


def test_docx_turns():
    data = make_docx(["Interviewer: How do you find partners?", "Maria: Through the association.", "", "Mostly fairs."])
    parsed = parse_bytes(data, "interview.docx")
    assert parsed.format == "docx"
    assert turns(parsed)[1] == ("Maria", "Through the association.\nMostly fairs.", None)


def test_srt_cues_merge_consecutive_turns_of_a_speaker():
    srt = ("1\n00:00:01,000 --> 00:00:02,500\nAna: Hello there.\n\n"
           "2\n00:00:02,600 --> 00:00:04,000\nAna: <i>Second</i> line.\n\n"
           "3\n00:00:04,100 --> 00:00:05,000\nRui: Hi.\n")
    parsed = parse_bytes(srt.encode(), "x.srt")
    assert turns(parsed) == [("Ana", "Hello there. Second line.", 1.0), ("Rui", "Hi.", 4.1)]
    assert parsed.segments[0].t_end == 4.0


def test_vtt_voice_tags_are_speakers():
    vtt = ("WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n<v Ana Sá>Olá, tudo bem?\n\n"
           "00:00:02.500 --> 00:00:04.250\n<v Rui>Sim.\n")
    parsed = parse_bytes(vtt.encode(), "x.vtt")
    assert turns(parsed) == [("Ana Sá", "Olá, tudo bem?", 1.0), ("Rui", "Sim.", 2.5)]
    assert parsed.segments[1].t_end == 4.25


def test_noscribe_html_anchors_give_times_and_speakers():
    html = ("<html><body><p>Interview 3</p><p>Transcribed with noScribe</p>"
            "<p><a name=\"ts_500_1500_S00\">S00: <span>[00:00:00]</span> Hello.</a>"
            "<a name=\"ts_1500_3000_S00\"> How are you?</a></p>"
            "<p><a name=\"ts_3100_4000_S01\">S01: Fine &amp; you?</a></p></body></html>")
    parsed = parse_bytes(html.encode(), "x.html")
    assert turns(parsed) == [("S00", "Hello. How are you?", 0.5), ("S01", "Fine & you?", 3.1)]
    assert parsed.segments[0].t_end == 3.0


def test_pdf_pages_become_segments():
    parsed = parse_bytes(make_pdf(["First page text.", "Second page text."]), "paper.pdf")
    assert parsed.kind == "document"
    assert [(s.page, parsed.text[a:b]) for s, (a, b) in zip(parsed.segments, parsed.spans)] == \
        [(1, "First page text."), (2, "Second page text.")]


def test_language_guess():
    assert guess_language("We went to the fair and it was good for the company and we have clients.") == "en"
    assert guess_language("Nós fomos à feira e foi muito bom para a empresa, mas não é fácil com os clientes.") == "pt"


# -- bad input: a clear message naming the file and the place ----------------------------

def test_binary_file_named_txt():
    with pytest.raises(InvalidSource) as exc:
        parse_bytes(b"Ana: hi\x00\x01\x02", "interview.txt")
    assert exc.value.file == "interview.txt" and exc.value.offset == 7
    assert "binary" in str(exc.value)


def test_unknown_encoding_names_offset_and_suggests_one():
    data = "Entrevistador: Então, a associação ajudou?\nRui: Não muito.".encode("cp1252")
    with pytest.raises(InvalidSource) as exc:
        parse_bytes(data, "pt.txt")
    assert exc.value.offset == data.index(b"\xe3")
    assert "not UTF-8" in str(exc.value) and "--encoding" in str(exc.value)
    assert parse_bytes(data, "pt.txt", encoding="cp1252").text.startswith("Então")


@pytest.mark.parametrize("name,data,needle", [
    ("empty.txt", b"", "is empty"),
    ("broken.docx", b"PK\x03\x04 not really a zip", "not a valid zip"),
    ("broken.pdf", b"%PDF-1.4\n garbage without objects", "PDF"),
    ("scan.pdf", None, "no text layer"),
    ("fake.pdf", b"hello", "no %PDF header"),
    ("data.xyz", b"hello", "unsupported type"),
])
def test_bad_files(name, data, needle):
    if data is None:
        data = make_pdf([""])
    with pytest.raises(InvalidSource) as exc:
        parse_bytes(data, name)
    assert exc.value.file == name
    assert needle in str(exc.value)


def test_empty_docx_has_no_text():
    with pytest.raises(InvalidSource, match="contains no text"):
        parse_bytes(make_docx(["", "  "]), "blank.docx")


def test_stage_directions_and_lists_are_not_speakers():
    text = ("Interviewer: Where do you sell?\n\n"
            "Maria: [laughs] Everywhere.\nWe sell to:\nGermany: about 40 percent.\nSpain: maybe 20.\n\n"
            "[laughs] It was chaos.\n\n"
            "Interviewer: And then?\n\nMaria: [laughs] Then Sweden.\n\nINTERVIEWER: Thanks.")
    parsed = parse_turns(text, "txt")
    assert parsed.speakers == ["Interviewer", "Maria"]
    assert "Germany: about 40 percent.\nSpain: maybe 20." in parsed.text
    assert parsed.segments[-1].speaker == "Interviewer"


def test_a_time_after_the_label_is_not_swallowed():
    parsed = parse_turns("Speaker 1  0:05\nHello there.\n\nSpeaker 2  0:09\nHi.\n\nSpeaker 1  0:12\nBye.", "txt")
    assert all(":" not in (s.speaker or "") for s in parsed.segments)
    assert not any(seg.text.startswith("05") for seg in parsed.segments)


def test_docx_table_transcript():
    import io

    import docx
    document = docx.Document()
    table = document.add_table(rows=3, cols=2)
    for row, (who, said) in zip(table.rows, [("Interviewer", "Why Spain?"), ("Rui", "Close by."), ("Interviewer", "Ok.")]):
        row.cells[0].text, row.cells[1].text = who, said
    buf = io.BytesIO()
    document.save(buf)
    parsed = parse_bytes(buf.getvalue(), "table.docx")
    assert [(s.speaker, s.text) for s in parsed.segments] == [("Interviewer", "Why Spain?"), ("Rui", "Close by."),
                                                               ("Interviewer", "Ok.")]


def test_noscribe_without_charset_is_utf8():
    html = "<html><body><p><a name='ts_0_900_S1'>S1: Olá, tudo bem?</a></p></body></html>".encode()
    assert parse_bytes(html, "x.html").text == "Olá, tudo bem?"


def test_nul_characters_are_refused_even_in_utf16():
    data = "Ana: hi\x00there\nRui: ok\nAna: x".encode("utf-16")
    with pytest.raises(InvalidSource) as exc:
        parse_bytes(data, "x.txt")
    assert exc.value.offset == 7


def test_a_long_vtt_read_in_chunks_gives_the_same_turns_as_in_one_piece(monkeypatch):
    """WebVTT is handed to the library a block-aligned chunk at a time; chunks of a few cues must
    change nothing: not a cue lost or split, voices and a NOTE kept apart, turns merged across
    chunk ends."""
    from workbench.corpus.parsers import subtitles
    cues = ["WEBVTT - interview\n\nNOTE recorded in Porto\n"]
    for i in range(40):
        who = "Ana" if (i // 3) % 2 else "Rui"
        cues.append(f"{i + 1}\n00:00:{i:02d}.000 --> 00:00:{i:02d}.900\n<v {who}>Cue number {i}, words {i * 7}.\n")
    data = "\n".join(cues).encode()
    whole = parse_bytes(data, "long.vtt")
    monkeypatch.setattr(subtitles, "_CHUNK_CHARS", 60)
    chunked = parse_bytes(data, "long.vtt")
    assert chunked.text == whole.text and chunked.segments == whole.segments
    assert len(whole) == 14 and whole.segments[0].speaker == "Rui" and whole.segments[1].t_start == 3.0
    assert whole.text.count("Cue number") == 40 and "Porto" not in whole.text


def _docx_with_member(data: bytes, member: str, change) -> bytes:
    """``data`` (a .docx) with one member's bytes passed through ``change``."""
    import io
    import zipfile
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            dst.writestr(item.filename, change(src.read(item)) if item.filename == member else src.read(item))
    return out.getvalue()


def _docx_with_document(data: bytes, document_xml: bytes) -> bytes:
    """``data`` (a .docx) with its word/document.xml replaced."""
    return _docx_with_member(data, "word/document.xml", lambda _old: document_xml)


def test_a_docx_is_read_as_a_stream_with_the_same_text_python_docx_gives(monkeypatch):
    """Body paragraphs and table rows in order, tabs and line breaks as python-docx reads them;
    paragraphs in a table only with their table; the same when the part arrives in small blocks."""
    import io

    import docx

    from workbench.corpus.parsers import word
    document = docx.Document()
    document.add_paragraph("Interviewer: Where do you sell?")
    run = document.add_paragraph("Maria: In Porto").add_run()
    run.add_tab()
    run.add_text("and Braga")
    run.add_break()
    run.add_text("mostly.")
    table = document.add_table(rows=2, cols=2)
    for r, (who, said) in enumerate([("Interviewer", "And the fair?"), ("Maria", "Twice a year.")]):
        table.cell(r, 0).text, table.cell(r, 1).text = who, said
    document.add_paragraph("Interviewer: Thank you.")
    buf = io.BytesIO()
    document.save(buf)
    whole = parse_bytes(buf.getvalue(), "t.docx")
    assert [(s.speaker, s.text) for s in whole.segments] == [
        ("Interviewer", "Where do you sell?"), ("Maria", "In Porto\tand Braga\nmostly."),
        ("Interviewer", "And the fair?"), ("Maria", "Twice a year."), ("Interviewer", "Thank you.")]
    monkeypatch.setattr(word, "_READ", 7)
    monkeypatch.setattr(word, "_JOIN_EVERY", 2)
    assert parse_bytes(buf.getvalue(), "t.docx").segments == whole.segments


def test_a_docx_with_a_doctype_damaged_xml_or_too_much_text_is_refused(monkeypatch):
    from workbench.corpus.parsers import word
    data = make_docx(["Interviewer: Hello?", "Maria: Hello."])
    body = ('<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>'
            '<w:p><w:r><w:t>&x;</w:t></w:r></w:p></w:body></w:document>')
    with pytest.raises(InvalidSource, match="DOCTYPE"):
        parse_bytes(_docx_with_document(data, f'<!DOCTYPE d [<!ENTITY x "boom">]>{body}'.encode()), "e.docx")
    with pytest.raises(InvalidSource, match=r"damaged Word document .*word/document.xml") as exc:
        parse_bytes(_docx_with_document(data, b'<w:document xmlns:w="x">\n<w:body><w:p>'), "cut.docx")
    assert exc.value.line == 2
    strict = _docx_with_member(data, "_rels/.rels", lambda rels: rels.replace(
        b"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument",
        b"http://purl.oclc.org/ooxml/officeDocument/relationships/officeDocument"))
    with pytest.raises(InvalidSource, match="Strict Open XML"):
        parse_bytes(strict, "strict.docx")
    monkeypatch.setattr(word, "MAX_SOURCE_BYTES", 10)
    with pytest.raises(InvalidSource, match="more than 0.0 MB of text"):
        parse_bytes(data, "long.docx")
