"""QDA-XML helpers shared by the REFI-QDA reader and writer: namespaces, GUIDs and dates as the
standard writes them, escaping, and parsing untrusted XML (no DTD, no entities, no network)."""
from __future__ import annotations

import datetime as dt

from lxml import etree

from workbench.errors import InvalidExchangeFile

NS = "urn:QDA-XML:project:1.0"

NS_CODEBOOK = "urn:QDA-XML:codebook:1.0"


def refi_guid(value: str) -> str:
    return value.strip("{}").upper()


def now_text() -> str:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def when_text(value: dt.datetime | None) -> str:
    if value is None:
        return now_text()
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    return value.astimezone(dt.timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def parse_xml(data: bytes, file: str) -> etree._Element:
    """Parse untrusted XML: no DTD, no entities, no network, no huge trees."""
    head = data[:4096].lower()
    if b"<!doctype" in head or b"<!entity" in data.lower():
        raise InvalidExchangeFile("contains a DOCTYPE or entity declarations; refused (entity expansion attacks)",
                                  file=file)
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                             remove_comments=True)
    try:
        root = etree.fromstring(data, parser=parser)
    except etree.XMLSyntaxError as exc:
        raise InvalidExchangeFile(f"is not well-formed XML ({exc.msg})", file=file, line=exc.lineno) from exc
    # The byte check above reads ASCII; a UTF-16 file hides its DOCTYPE from it. The parsed
    # document says whether it had one, whatever its encoding.
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        raise InvalidExchangeFile("contains a DOCTYPE or entity declarations; refused (entity expansion attacks)",
                                  file=file)
    return root


def parse_fragment(xml: bytes, line: int | None, file: str) -> etree._Element:
    """An element that a streamed read serialised (:mod:`workbench.exchange.refi.extract`),
    parsed again on the hardened path with the line numbers it had in the file."""
    return parse_xml(b"\n" * max((line or 1) - 1, 0) + xml, file)


def local_name(el) -> str:
    return el.tag.rsplit("}", 1)[-1] if isinstance(el.tag, str) else ""


def children_named(el, name: str):
    return [c for c in el if local_name(c) == name]


def child_named(el, name: str):
    found = children_named(el, name)
    return found[0] if found else None


def descendants_named(el, name: str):
    return [c for c in el.iter() if local_name(c) == name]


# The elements a streamed read of project.qde stops at: the Project itself, its top-level
# children, and each source (handled and then dropped, so a million codings never form a tree).
SOURCE_KINDS = ("TextSource", "PDFSource", "PictureSource", "AudioSource", "VideoSource")

_STREAMED = ("Project", "Users", "CodeBook", "Variables", "Cases", "Sources", "Notes", "Sets", "Description",
             *SOURCE_KINDS)


def iter_project(stream, file: str):
    """``(event, element)`` pairs of a streamed read of untrusted QDA-XML: "start" of the
    Project, then "end" of its top-level children and of each source, with the same refusals as
    :func:`parse_xml` (no DTD, no entities, no network, no huge text nodes)."""
    events = etree.iterparse(stream, events=("start", "end"), tag=[f"{{*}}{t}" for t in _STREAMED],
                             resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                             remove_comments=True, remove_pis=True)
    checked = False
    try:
        for event, el in events:
            if not checked:
                # The prolog has been read once the first element starts: refuse a DOCTYPE,
                # whatever the encoding hid from a byte check.
                docinfo = el.getroottree().docinfo
                if docinfo.doctype or docinfo.internalDTD is not None:
                    raise InvalidExchangeFile("contains a DOCTYPE or entity declarations; refused (entity "
                                              "expansion attacks)", file=file)
                checked = True
            if event == "start" and el.getparent() is not None:
                continue
            yield event, el
    except etree.XMLSyntaxError as exc:
        raise InvalidExchangeFile(f"is not well-formed XML ({exc.msg})", file=file, line=exc.lineno) from exc
