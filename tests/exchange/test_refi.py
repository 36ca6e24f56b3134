"""REFI-QDA exchange: valid export, faithful round trip, other tools' quirks, hostile archives."""
from __future__ import annotations

import io
import re
import zipfile

import pytest
from lxml import etree
from sqlalchemy import func, select

from tests.paths import FIXTURES, shared
from workbench.coding.codings import apply_code
from workbench.coding.memos import add_memo
from workbench.config import Settings
from workbench.db.models import Code, Codebook, Coder, Coding, Memo, Project, Source
from workbench.db.store import open_store
from workbench.demo import build_demo
from workbench.errors import InvalidExchangeFile
from workbench.exchange.refi.reader import import_qdc, import_qdpx
from workbench.exchange.refi.writer import codebook_qdc, export_qdpx
from workbench.project.coders import get_or_create_coder

XSD = etree.XMLSchema(etree.parse(str(FIXTURES / "Project.xsd")))
SPAN = "signed in München 👍"


@pytest.fixture
def demo(tmp_path):
    store = open_store(f"sqlite:///{tmp_path / 'demo.db'}")
    build_demo(store, Settings(database_url=store.url, coder="ana"), codings=False)
    with store.write("seed", project_id=1, coder_id=1) as s:
        src = s.scalar(select(Source).where(Source.name == "it-02-nuvemar-software"))
        pos = src.text.index(SPAN)
        code = s.scalar(select(Code).where(Code.name == "Information aggregator"))
        apply_code(s, src, code.id, s.get(Coder, 1), pos, pos + len(SPAN), memo="why <this> & that")
        add_memo(s, 1, "A project memo")
        add_memo(s, 1, "On the code", code=code)
    yield store
    store.dispose()


def _codings(store, project_id):
    with store.read() as s:
        return sorted((c.code.name, c.source.name, c.source.text[c.start:c.end], c.coder.name)
                      for c in s.scalars(select(Coding).join(Source).where(Source.project_id == project_id)))


def test_export_validates_against_the_published_schema(demo):
    with demo.read() as s:
        data = export_qdpx(s, 1)
    archive = zipfile.ZipFile(io.BytesIO(data))
    doc = etree.fromstring(archive.read("project.qde"))
    assert XSD.validate(doc), XSD.error_log.last_error
    assert sum(1 for n in archive.namelist() if n.startswith("sources/")) == 6


def test_export_then_import_gives_back_identical_codings(demo, store):
    with demo.read() as s:
        data = export_qdpx(s, 1)
    with store.write() as s:
        report = import_qdpx(s, data, "demo.qdpx", coder=get_or_create_coder(s, "importer"))
    assert (report.sources, report.codings, report.cases, report.memos) == (6, 1, 6, 3)
    assert _codings(store, report.project_id) == _codings(demo, 1)
    with store.read() as s:
        assert sorted(s.scalars(select(Codebook.name).where(Codebook.project_id == report.project_id))) == \
            sorted(s.scalars(select(Codebook.name))) and s.scalar(select(func.count(Codebook.id))) == 5
        memo = s.scalar(select(Memo).where(Memo.coding_id.isnot(None)))
        assert memo.text == "why <this> & that"
        src = s.scalar(select(Source).where(Source.name == "tx-01-tecelagem-pinheiro"))
        assert src.case.name == "TX-01 Tecelagem Pinheiro"


def test_import_into_the_same_database_does_not_collide(demo):
    with demo.read() as s:
        data = export_qdpx(s, 1)
    with demo.write() as s:
        report = import_qdpx(s, data, "demo.qdpx", coder=s.get(Coder, 1))
    assert report.project_id != 1
    assert [c[:3] for c in _codings(demo, report.project_id)] == [c[:3] for c in _codings(demo, 1)]
    with demo.read() as s:           # a coding's memo follows its coding to the GUID it was given
        memo = s.scalar(select(Memo).where(Memo.project_id == report.project_id, Memo.coding_id.isnot(None)))
        assert memo.text == "why <this> & that" and memo.coding.source.project_id == report.project_id


@pytest.mark.parametrize("name", ["atlasti-23-blank.qdpx", "atlasti-23-codebook.qdpx"])
def test_atlas_ti_samples_import(store, name):
    with store.write() as s:
        report = import_qdpx(s, shared("data", "refi-qda", name).read_bytes(), name, coder=get_or_create_coder(s, "me"))
    with store.read() as s:
        project = s.get(Project, report.project_id)
        assert project.name.endswith("atlas-project")
        if "codebook" in name:
            commits = s.scalar(select(Code).where(Code.name == "Commits"))
            assert sorted(c.name for c in commits.children) == ["2022-02-11T10:39:25Z cdbfd92",
                                                                "2022-05-10T02:05:59Z 19e4dce"]
        else:
            assert report.codes == 0


def _qdpx(text: bytes, start: int, end: int, *, origin: str, qde_name="project.qde", folder="sources",
          namespace="urn:QDA-XML:project:1.0", path="internal://S.txt", code_ref="C0DE0000-0000-0000-0000-000000000001",
          extra: dict | None = None) -> bytes:
    qde = f"""<?xml version="1.0" encoding="utf-8"?>
<Project xmlns="{namespace}" name="Imported" origin="{origin}">
  <Users><User guid="11111111-1111-1111-1111-111111111111" name="Nvivo Person"/></Users>
  <CodeBook><Codes><Code guid="C0DE0000-0000-0000-0000-000000000001" name="Fairs" isCodable="true"/></Codes></CodeBook>
  <Sources><TextSource guid="50000000-0000-0000-0000-000000000001" name="Interview" plainTextPath="{path}">
    <PlainTextSelection guid="5E100000-0000-0000-0000-000000000001" startPosition="{start}" endPosition="{end}">
      <Coding guid="C0D10000-0000-0000-0000-000000000001" creatingUser="11111111-1111-1111-1111-111111111111">
        <CodeRef targetGUID="{code_ref}"/></Coding>
    </PlainTextSelection></TextSource></Sources>
</Project>""".encode()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr(qde_name, qde)
        z.writestr(f"{folder}/S.txt", text)
        for k, v in (extra or {}).items():
            z.writestr(k, v)
    return buf.getvalue()


RAW = "Q: Where?\r\nA: Trade fairs 👍 in Frankfurt.\r\nQ: Why?\r\n"
TARGET = "fairs 👍 in Frankfurt"


def _import(store, data, name="x.qdpx"):
    with store.write() as s:
        report = import_qdpx(s, data, name, coder=get_or_create_coder(s, "me"))
    with store.read() as s:
        c = s.scalar(select(Coding).join(Source).where(Source.project_id == report.project_id))
        return report, (c.source.text[c.start:c.end] if c else None), (c.coder.name if c else None)


def test_standard_offsets_are_code_points_over_the_file_text(store):
    start = RAW.index(TARGET)
    _, text, coder = _import(store, _qdpx(RAW.encode(), start, start + len(TARGET), origin="MAXQDA 2022"))
    assert text == TARGET and coder == "Nvivo Person"


def test_nvivo_counts_utf16_units_over_crlf(store):
    start = len(RAW[:RAW.index(TARGET)].encode("utf-16-le")) // 2
    end = start + len(TARGET.encode("utf-16-le")) // 2
    _, text, _ = _import(store, _qdpx(RAW.encode(), start, end, origin="NVivo 14", folder="Sources",
                                      qde_name="Project.qde"))
    assert text == TARGET


def test_atlas_ti_counts_crlf_as_one(store):
    flat = RAW.replace("\r\n", "\n")
    start = flat.index(TARGET)
    _, text, _ = _import(store, _qdpx(RAW.encode(), start, start + len(TARGET), origin="ATLAS.ti 23",
                                      namespace="urn:QDA-XML:project:0:4"))
    assert text == TARGET


def _projects(store):
    with store.read() as s:
        return s.scalar(select(func.count(Project.id)))


@pytest.mark.parametrize("data,needle", [
    (_qdpx(RAW.encode(), 0, 5, origin="x", extra={"../evil.txt": "x"}), "unsafe path"),
    (_qdpx(RAW.encode(), 0, 500, origin="x"), "lies outside the text"),
    (_qdpx(RAW.encode(), 0, 5, origin="x", code_ref="DEADBEEF-0000-0000-0000-000000000000"), "which the codebook does not have"),
    (b"not a zip at all", "not a valid zip"),
])
def test_bad_archives_are_refused_and_nothing_is_imported(store, data, needle):
    before = _projects(store)
    with pytest.raises(InvalidExchangeFile, match=needle):
        _import(store, data)
    assert _projects(store) == before


@pytest.mark.parametrize("path", ["internal://../../etc/passwd", "absolute:///etc/passwd", "relative://../x.txt"])
def test_paths_outside_the_archive_are_never_followed(store, path):
    report, text, _ = _import(store, _qdpx(RAW.encode(), 0, 5, origin="x", path=path))
    assert report.sources == 0 and text is None
    assert any("not followed" in s for s in report.skipped)


def test_billion_laughs_is_refused(store):
    bomb = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
            '<Project xmlns="urn:QDA-XML:project:1.0" name="&lol2;"/>')
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("project.qde", bomb)
    with pytest.raises(InvalidExchangeFile, match="DOCTYPE"):
        _import(store, buf.getvalue())


def test_zip_bomb_is_refused_before_reading(store):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("project.qde", "<Project/>")
        z.writestr("sources/big.txt", b"\0" * (50 * 1024 * 1024))     # 50 MB of zeros: ~1000:1
    with pytest.raises(InvalidExchangeFile, match="zip bomb"):
        _import(store, buf.getvalue())


def test_codebook_qdc_round_trip(demo, store):
    with demo.read() as s:
        cb = s.scalar(select(Codebook).where(Codebook.name == "Internationalization decisions and barriers"))
        data = codebook_qdc(cb)
        expected = sorted((c.name, c.parent.name if c.parent else None) for c in cb.codes)
    with store.write() as s:
        project = s.add(Project(name="p")) or s.scalar(select(Project))
        s.flush()
        book = import_qdc(s, project.id, data, "barriers.qdc")
        got = sorted((c.name, c.parent.name if c.parent else None) for c in book.codes)
    assert got == expected


def test_two_sources_with_the_same_text_import(store):
    buf = io.BytesIO()
    qde = """<Project xmlns="urn:QDA-XML:project:1.0" name="Twins" origin="QualCoder 3.5">
  <Sources>
    <TextSource guid="50000000-0000-0000-0000-000000000001" name="A" plainTextPath="internal://S.txt"/>
    <TextSource guid="50000000-0000-0000-0000-000000000002" name="B" plainTextPath="internal://S.txt"/>
  </Sources></Project>"""
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("project.qde", qde)
        z.writestr("sources/S.txt", "Same words in both.")
    report, _, _ = _import(store, buf.getvalue())
    assert report.sources == 2


def _reencode_xml(data: bytes, codec: str) -> bytes:
    """project.qde in another encoding, its declaration saying so (a BOM where the codec writes one)."""
    text = data.decode("utf-8-sig")
    name = {"utf-16": "UTF-16", "utf-16-le": "UTF-16", "utf-16-be": "UTF-16", "utf-8-sig": "UTF-8"}[codec]
    text = re.sub(r'encoding="[^"]+"', f'encoding="{name}"', text, count=1)
    bom = {"utf-16-le": b"\xff\xfe", "utf-16-be": b"\xfe\xff"}.get(codec, b"")
    return bom + text.encode(codec)


def _rezip(data: bytes, change) -> bytes:
    source, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in source.infolist():
            z.writestr(info.filename, change(info.filename, source.read(info)))
    return out.getvalue()


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-be", "utf-8-sig"])
@pytest.mark.parametrize("name", ["atlasti-23-blank.qdpx", "atlasti-23-codebook.qdpx"])
def test_atlas_ti_samples_reencoded_import_the_same(store, name, codec):
    original = shared("data", "refi-qda", name).read_bytes()
    changed = _rezip(original, lambda member, data: _reencode_xml(data, codec) if member == "project.qde" else data)
    assert changed != original
    with store.write() as s:
        a = import_qdpx(s, original, name, coder=get_or_create_coder(s, "me"))
        b = import_qdpx(s, changed, name, coder=get_or_create_coder(s, "me"))
    with store.read() as s:
        def tree(pid):
            return sorted((c.name, c.parent.name if c.parent else None) for c in s.scalars(
                select(Code).join(Codebook).where(Codebook.project_id == pid)))
        assert tree(a.project_id) == tree(b.project_id)
    assert (a.sources, a.codes, a.codings, a.cases) == (b.sources, b.codes, b.codings, b.cases)


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be", "utf-8-sig"])
def test_source_texts_in_utf16_or_with_a_bom_give_the_same_quotes(demo, store, codec):
    """NVivo writes its source texts as UTF-16 with a byte-order mark; Windows tools add a BOM to
    UTF-8. The quotes come out the same as from the UTF-8 original."""
    with demo.read() as s:
        data = export_qdpx(s, 1)
    bom = {"utf-16-le": b"\xff\xfe", "utf-16-be": b"\xfe\xff"}.get(codec, b"")
    changed = _rezip(data, lambda member, raw: bom + raw.decode("utf-8").encode(codec)
                     if member.startswith("sources/") else raw)
    with store.write() as s:
        report = import_qdpx(s, changed, "nvivo.qdpx", coder=get_or_create_coder(s, "me"))
    assert report.sources == 6
    assert _codings(store, report.project_id) == _codings(demo, 1)
