"""Export page: the DOCX report and the tables, written to exports/ and offered as downloads."""
from __future__ import annotations

import streamlit as st

from workbench.analysis.agreement import UNITS
from workbench.analysis.counts import presence_matrix
from workbench.analysis.crosstab_query import project_crosstab
from workbench.analysis.retrieval import coding_count
from workbench.codebook.lookup import code_choices, codebook_choices
from workbench.coding.status import status_rows
from workbench.config import load_settings
from workbench.corpus.cases import case_table
from workbench.db.models import Codebook, Coder, Project
from workbench.db.store import backups_of, default_backup_path, sqlite_path
from workbench.errors import WorkbenchError
from workbench.exchange import docx_report, gather, tables
from workbench.exchange.refi.reader import import_qdpx
from workbench.exchange.refi.writer import codebook_qdc, export_qdpx
from workbench.ui.safe import md, plain
from workbench.ui.state import Workspace


def render(ws: Workspace) -> None:
    st.title("Export")
    with ws.store.read() as s:
        books = codebook_choices(s, ws.project_id)
        codes = code_choices(s, ws.project_id)
        cases = case_table(s, ws.project_id)
        coded = coding_count(s, ws.project_id)
    c1, c2, c3 = st.columns(3)
    book = c1.selectbox("Codebook", [None, *[b for b, _ in books]], key="ex_book",
                        format_func=lambda b: "All codebooks" if b is None else dict(books)[b])
    in_book = [(i, label) for i, label in codes if book is None or label.endswith("·  " + dict(books)[book])]
    code = c2.selectbox("Code (a report of one theme)", [None, *[i for i, _ in in_book]], key="ex_code",
                        format_func=lambda c: "All codes" if c is None else dict(in_book)[c])
    attributes = [c for c in cases.columns if c != "case"]
    by = c3.selectbox("Crosstab in the report by", [None, *attributes], key="ex_by",
                      format_func=lambda a: "no crosstab" if a is None else a)
    folder = load_settings().exports_dir
    st.caption(f"Files are also saved in {md(folder)}.")
    slug = "all" if book is None else dict(books)[book].split()[0].lower()
    if code is not None:
        slug = f"code-{code}"

    st.subheader("Report (Word)")
    st.write("Title page, the codebook with definitions, then per code its quotes with citations (case, "
             "sector, speaker, time) and memos" + (f", the crosstab by {by}" if by else "")
             + ", and a methods section written from what the report computed.")
    with ws.store.read() as s:
        coders = sorted({r["coder"] for r in status_rows(s, ws.project_id)})
    a1, a2 = st.columns([3, 1])
    agree = a1.multiselect("Agreement to describe in the methods (two or more coders)", coders, key="ex_agree",
                           placeholder="no agreement figures")
    unit = a2.selectbox("Agreement unit", list(UNITS), index=1, key="ex_unit")
    if st.button("Build report", type="primary", icon=":material/description:"):
        try:
            with st.spinner("Writing the report…"), ws.store.read() as s:
                data = gather.report_input(s, ws.project_id, codebook=book, code=code, by=by,
                                           agreement_coders=agree if len(agree) >= 2 else None, unit=unit)
        except WorkbenchError as exc:
            st.error(plain(exc), icon=":material/error:")
            return
        result = _save(folder / f"report-{slug}.docx", lambda p: docx_report.write(data, p))
        st.session_state["ex_report"] = result.data
        st.session_state["ex_methods"] = data.methods
        if result.stripped_characters:
            st.warning(f"{result.stripped_characters} characters that Word cannot hold were removed.")
    if st.session_state.get("ex_methods"):
        with st.expander("Methods section (also in the report)", icon=":material/article:"):
            st.text("\n\n".join(st.session_state["ex_methods"]))
    if st.session_state.get("ex_report"):
        st.download_button("Download report.docx", st.session_state["ex_report"], f"report-{slug}.docx",
                           "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                           icon=":material/download:")

    _refi(ws, books)
    _backups(ws)

    st.subheader("Tables")
    if not coded:
        st.info("Nothing coded yet: the tables need codings.")
        return
    st.write("Quotes with their code path and case attributes, code presence per case"
             + (f", and the crosstab by {by}" if by else "") + f", from {coded:,} codings.")
    wanted = (book, by)
    # Built on request, not on every rerun: tens of thousands of quotes take seconds to pack.
    if st.button("Prepare tables", icon=":material/table:"):
        with st.spinner("Building the tables…"), ws.store.read() as s:
            quotes, cases = gather.quotes_and_cases(s, ws.project_id, book)
        frames = {"quotes": tables.quotes_table(quotes, cases), "presence": presence_matrix(quotes, cases)}
        files = {"quotes.xlsx": tables.to_bytes({"quotes": frames["quotes"]}, "xlsx"),
                 "quotes.csv": tables.to_bytes({"quotes": frames["quotes"]}, "csv"),
                 "presence.xlsx": tables.to_bytes({"presence": frames["presence"]}, "xlsx")}
        if by:
            with ws.store.read() as s:
                ct = project_crosstab(s, ws.project_id, by, codebook=book)
            files[f"crosstab-{by}.xlsx"] = tables.to_bytes(tables.crosstab_sheets(ct), "xlsx")
        st.session_state["ex_tables"] = (wanted, files)
    ready = st.session_state.get("ex_tables")
    if not ready or ready[0] != wanted:
        return
    files = ready[1]
    t1, t2, t3 = st.columns(3)
    t1.download_button("Quotes (XLSX)", files["quotes.xlsx"], "quotes.xlsx",
                       icon=":material/table:", help="One row per coded quote with code path and case attributes")
    t2.download_button("Quotes (CSV)", files["quotes.csv"], "quotes.csv", "text/csv", icon=":material/table:")
    t3.download_button("Code presence per case (XLSX)", files["presence.xlsx"], "presence.xlsx",
                       icon=":material/grid_on:", help="0/1 per case and code, for mixed methods")
    if by:
        st.download_button(f"Crosstab by {by} (XLSX)", files[f"crosstab-{by}.xlsx"], f"crosstab-{by}.xlsx",
                           icon=":material/table_chart:")


def _backups(ws: Workspace) -> None:
    """Back up the project file now; the backups there are, newest first; how to go back."""
    import datetime as dt

    st.subheader("Backups")
    path = sqlite_path(ws.store.url)
    if path is None:
        st.info("This project lives on a database server: back it up there (pg_dump).")
        return
    st.write("A consistent copy of the whole project file, taken while you work and checked "
             "with SQLite's integrity check.")
    if st.button("Back up now", icon=":material/backup:"):
        try:
            made = ws.store.backup(default_backup_path(path))
        except WorkbenchError as exc:
            st.error(plain(exc), icon=":material/error:")
        else:
            st.success(f"Backed up to {md(str(made))} (integrity check ok).")
    found = backups_of(path)
    if not found:
        st.caption("No backups yet.")
        return
    st.dataframe([{"backup": str(p), "taken": dt.datetime.fromtimestamp(p.stat().st_mtime).strftime("%Y-%m-%d %H:%M"),
                   "MB": round(p.stat().st_size / 2**20, 1)} for p in found[:20]], hide_index=True)
    st.caption("To go back to one, close the app, then run "
               f"`workbench restore {found[0]} --to {path} --replace` (the current file is backed up first).")


def _save(path, write):
    path.parent.mkdir(parents=True, exist_ok=True)
    return write(path)


def _refi(ws: Workspace, books) -> None:
    st.subheader("Exchange with other QDA tools (REFI-QDA)")
    st.write("NVivo, ATLAS.ti, MAXQDA, QualCoder and Taguette read and write `.qdpx` projects and `.qdc` codebooks.")
    c1, c2 = st.columns(2)
    if c1.button("Prepare project .qdpx", icon=":material/inventory_2:"):
        with st.spinner("Packing the project…"), ws.store.read() as s:
            st.session_state["ex_qdpx"] = export_qdpx(s, ws.project_id)
    if st.session_state.get("ex_qdpx"):
        c1.download_button("Download project.qdpx", st.session_state["ex_qdpx"], "project.qdpx",
                           "application/zip", icon=":material/download:")
    if books:
        with ws.store.read() as s:
            book = c2.selectbox("Codebook as .qdc", [b for b, _ in books], format_func=dict(books).get, key="ex_qdc")
            qdc = codebook_qdc(s.get(Codebook, book))
        c2.download_button("Download codebook.qdc", qdc, f"{dict(books)[book]}.qdc", "application/xml",
                           icon=":material/download:")
    with st.expander("Import a .qdpx project from another tool", icon=":material/upload_file:"):
        upload = st.file_uploader("REFI-QDA project", type=["qdpx"], key="ex_qdpx_upload")
        if st.session_state.get("ex_qdpx_cancel"):       # the rerun a click on Cancel made
            st.info("Import cancelled; nothing was stored.", icon=":material/cancel:")
        if upload is not None and st.button("Import as a new project", type="primary"):
            # Clicking Cancel reruns the page: Streamlit stops this run at its next progress
            # update, the transaction rolls back and the reading process is stopped.
            st.button("Cancel import", key="ex_qdpx_cancel", icon=":material/cancel:")
            bar = st.progress(0.0, text="Reading the project…")
            try:
                with ws.store.write() as s:
                    report = import_qdpx(s, upload.getvalue(), upload.name, coder=s.get(Coder, ws.coder_id),
                                         progress=lambda stage, share: bar.progress(share, text=f"Importing {stage}…"))
                    name = s.get(Project, report.project_id).name
            except WorkbenchError as exc:
                bar.empty()
                st.error(plain(exc), icon=":material/error:")
                return
            bar.empty()
            st.success(f"Imported as project {md(name)}: {report.sources} sources, {report.codes} codes, "
                       f"{report.codings} codings, {report.cases} cases, {report.memos} memos. "
                       "Choose it in the sidebar.")
            for line in report.skipped:
                st.warning(f"Skipped: {md(line)}")
