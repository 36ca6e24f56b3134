"""Sources & cases page: upload transcripts, assign cases, edit the case table, speakers."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from workbench.codebook.terms import codebook_terms
from workbench.config import load_settings
from workbench.corpus.case_table import case_table_bytes, import_case_table, read_table_bytes, save_case_table
from workbench.corpus.cases import attribute_choices, attribute_types, case_names, case_table, get_or_create_attribute
from workbench.corpus.importing import import_uploads
from workbench.corpus.parsers import TRANSCRIPT_EXTENSIONS
from workbench.corpus.sources import assign_case, list_sources, source_choices
from workbench.corpus.speakers import rename_speaker, role_suggestion, set_speaker_role
from workbench.db.models import AttributeType, Source, SpeakerRole
from workbench.errors import WorkbenchError
from workbench.transcription.jobs import AUDIO_EXTENSIONS, cancel, enqueue_audio, list_jobs, retry
from workbench.transcription.models import default_model, list_models
from workbench.transcription.options import Options
from workbench.ui.safe import md, plain
from workbench.ui.state import Workspace, commit

ROLES = ["", *[r.value for r in SpeakerRole]]


def render(ws: Workspace) -> None:
    st.title("Sources & cases")
    tab_sources, tab_audio, tab_cases, tab_speakers = st.tabs(["Sources", "Recordings", "Case table", "Speakers"])
    with tab_sources:
        _upload(ws)
        _source_table(ws)
    with tab_audio:
        _recordings(ws)
        job_panel(ws)
    with tab_cases:
        _case_table(ws)
    with tab_speakers:
        _speakers(ws)


def _upload(ws: Workspace) -> None:
    if st.session_state.get("src_upload_cancel"):       # the rerun a click on Cancel made
        st.info("Import cancelled; nothing was stored.", icon=":material/cancel:")
    with st.form("upload", clear_on_submit=True):
        files = st.file_uploader(
            "Import transcripts and documents", accept_multiple_files=True,
            type=sorted(e.lstrip(".") for e in TRANSCRIPT_EXTENSIONS),
            help="Text and Word files with speaker turns (Name:, [Name], Q:/A:, [00:12:03]), SRT/VTT "
                 "subtitles, noScribe HTML, PDF documents. The same file twice is recognised.")
        c1, c2, c3 = st.columns(3)
        case = c1.text_input("Case (optional)", help="All files go into this case; created if new.")
        language = c2.text_input("Language (optional)", placeholder="guessed, e.g. en or pt")
        skip_bad = c3.checkbox("Import the readable files even if some are not",
                               help="By default one unreadable file stops the import and nothing is stored.")
        submitted = st.form_submit_button("Import", type="primary", icon=":material/upload:")
    if not (submitted and files):
        return
    uploads = [(f.name, f.getvalue()) for f in files]
    # Clicking Cancel reruns the page: Streamlit stops this run at its next progress update
    # (every 65,536 lines of a long transcript), before anything is stored.
    cancel = st.empty()
    cancel.button("Cancel import", key="src_upload_cancel", icon=":material/cancel:")
    bar = st.progress(0.0, text=f"Reading {len(uploads)} file(s)…")

    def show(i: int, total: int, name: str, share: float) -> None:
        bar.progress(min((i + share) / max(total, 1), 1.0),
                     text=f"Reading {name} ({i + 1} of {total})…" if name else "Storing…")
    try:
        results, errors = import_uploads(ws.store, ws.project_id, ws.coder_id, uploads,
                                         case=case.strip() or None, language=language.strip() or None,
                                         skip_bad=skip_bad, max_bytes=load_settings().max_upload_bytes,
                                         progress=show)
    except WorkbenchError as exc:
        bar.empty()
        cancel.empty()
        st.error(plain(exc), icon=":material/error:")
        return
    bar.empty()
    cancel.empty()
    created = [r for r in results if r.created]
    if created:
        st.success(f"Imported {len(created)} source(s): " + ", ".join(md(r.name) for r in created))
    for r in created:
        if r.speaker_note:
            st.warning(f"{md(r.name)}: {md(r.speaker_note)}", icon=":material/record_voice_over:")
    for r in results:
        if not r.created:
            st.info(f"{md(r.file)} is already in the project as {md(r.duplicate_of)}; not imported again.")
    for e in errors:
        st.warning(f"Not imported: {md(str(e))}")


def _source_table(ws: Workspace) -> None:
    with ws.store.read() as s:
        rows = list_sources(s, ws.project_id)
        cases_known = case_names(s, ws.project_id)
    if not rows:
        st.info("No sources yet: upload transcripts above.")
        return
    frame = pd.DataFrame(rows)[["id", "name", "case", "language", "kind", "words", "segments", "codings"]]
    st.caption("Change a source's case or language in the table, then save.")
    edited = st.data_editor(
        frame, hide_index=True, key="source_editor", disabled=["id", "name", "kind", "words", "segments", "codings"],
        column_config={"id": None,
                       "case": st.column_config.SelectboxColumn("case", options=["", *cases_known]),
                       "language": st.column_config.TextColumn("language", max_chars=10)})
    changed = edited[(edited["case"] != frame["case"]) | (edited["language"] != frame["language"])]
    if st.button("Save sources", disabled=changed.empty, type="primary"):
        def save(s):
            for _, row in changed.iterrows():
                src = assign_case(s, ws.project_id, int(row["id"]), row["case"] or None)
                src.language = (row["language"] or "").strip() or None
        ok, _ = commit(ws, f"edit {len(changed)} source(s)", save, toast="Sources saved")
        if ok:
            st.rerun()


_COLUMN = {AttributeType.number: st.column_config.NumberColumn, AttributeType.boolean: st.column_config.CheckboxColumn,
           AttributeType.date: st.column_config.DateColumn, AttributeType.text: st.column_config.TextColumn}


def _case_table(ws: Workspace) -> None:
    with ws.store.read() as s:
        frame = case_table(s, ws.project_id)
        types = attribute_types(s, ws.project_id)
        csv_bytes = case_table_bytes(s, ws.project_id, "csv")
        xlsx_bytes = case_table_bytes(s, ws.project_id, "xlsx")
    st.caption("One row per case (e.g. a company). Add rows at the bottom; delete rows to remove cases "
               "(their sources stay, without a case). Column types: " +
               (", ".join(f"{md(k)} ({v})" for k, v in types.items()) or "none yet"))
    config = {"case": st.column_config.TextColumn("case", required=True)}
    added: dict[str, list[str]] = st.session_state.setdefault("case_new_values", {})
    choosing = []
    for name, type_ in types.items():
        values = attribute_choices(frame, name) if AttributeType(type_) is AttributeType.text else None
        if values is not None:
            # A text attribute with a few values (sector, size) is chosen, not typed: "Textile" and
            # "textile " were two groups. "New value" below adds a choice.
            choosing.append(name)
            config[name] = st.column_config.SelectboxColumn(name, options=sorted({*values, *added.get(name, [])}))
        else:
            config[name] = _COLUMN[AttributeType(type_)](name)
    edited = st.data_editor(frame, num_rows="dynamic", hide_index=True, key="case_editor", column_config=config)
    if choosing:
        with st.popover("New value…", icon=":material/add:"):
            with st.form("case_new_value", clear_on_submit=True, border=False):
                attr = st.selectbox("Attribute", choosing, key="case_new_attr")
                value = st.text_input("Value", key="case_new_text", placeholder="e.g. Footwear")
                if st.form_submit_button("Offer it in the table") and value.strip():
                    added.setdefault(attr, []).append(" ".join(value.split()))
                    st.rerun()
    c1, c2, c3 = st.columns([1, 1, 1])
    if c1.button("Save case table", type="primary"):
        ok, result = commit(ws, "edit case table", lambda s: save_case_table(
            s, ws.project_id, edited.dropna(subset=["case"])), toast="Case table saved")
        if ok:
            st.rerun()
    c2.download_button("Download CSV", csv_bytes, "cases.csv", "text/csv", icon=":material/download:")
    c3.download_button("Download XLSX", xlsx_bytes, "cases.xlsx", icon=":material/download:",
                       mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    with st.expander("Add an attribute or import a table"):
        with st.form("add_attribute", clear_on_submit=True, border=False):
            a1, a2 = st.columns([2, 1])
            name = a1.text_input("Attribute name", placeholder="e.g. country")
            type_ = a2.selectbox("Type", [t.value for t in AttributeType])
            if st.form_submit_button("Add attribute") and name.strip():
                ok, _ = commit(ws, f"add attribute {name}", lambda s: get_or_create_attribute(
                    s, ws.project_id, name.strip(), AttributeType(type_)))
                if ok:
                    st.rerun()
        upload = st.file_uploader("Import a case table (CSV or XLSX)", type=["csv", "xlsx"], key="case_upload",
                                  help="The first column (or one named 'case') names the case; headers like "
                                       "employees:number fix a column's type.")
        if upload is not None and st.button("Import case table"):
            data = upload.getvalue()

            def load(s):
                return import_case_table(s, ws.project_id, read_table_bytes(data, upload.name),
                                                   file=upload.name)
            ok, result = commit(ws, f"import case table {upload.name}", load)
            if ok:
                st.toast(f"{result['cases']} cases ({result['created']} new), {result['attributes']} attributes")
                st.rerun()


def _speakers(ws: Workspace) -> None:
    with ws.store.read() as s:
        sources = source_choices(s, ws.project_id)
    if not sources:
        st.info("No sources yet.")
        return
    source_id = st.selectbox("Source", [i for i, _ in sources], format_func=dict(sources).get, key="speaker_source")
    with ws.store.read() as s:
        src = s.get(Source, source_id)
        frame = pd.DataFrame([{"label": sp.label, "new label": sp.label, "role": sp.role.value if sp.role else "",
                               "turns": sum(1 for seg in src.segments if seg.speaker_id == sp.id)}
                              for sp in src.speakers], columns=["label", "new label", "role", "turns"])
        unplaced = role_suggestion(s, src)
    if frame.empty:
        st.info("This source has no speakers (a document, or a transcript without speaker labels).")
        return
    if unplaced:
        st.caption(md(unplaced[:1].upper() + unplaced[1:]) + ". Roles decide which turns role-limited "
                   "suggesters read and which turns agreement compares.")
    edited = st.data_editor(frame, hide_index=True, key=f"speakers:{source_id}", disabled=["label", "turns"],
                            column_config={"label": None,
                                           "role": st.column_config.SelectboxColumn("role", options=ROLES)})
    if st.button("Save speakers", type="primary"):
        def save(s):
            for old, new in zip(frame.to_dict("records"), edited.to_dict("records")):
                if new["role"] != old["role"]:
                    set_speaker_role(s, ws.project_id, source_id, old["label"], new["role"] or None)
                if (new["new label"] or "").strip() and new["new label"].strip() != old["label"]:
                    rename_speaker(s, ws.project_id, source_id, old["label"], new["new label"])
        ok, _ = commit(ws, "edit speakers", save, toast="Speakers saved")
        if ok:
            st.rerun()


LANGUAGES = {"": "Detect", "pt": "Portuguese", "en": "English", "es": "Spanish", "fr": "French", "de": "German",
             "it": "Italian", "nl": "Dutch", "pl": "Polish", "fa": "Persian", "ar": "Arabic", "zh": "Chinese"}


def _recordings(ws: Workspace) -> None:
    offline = [m["model"] for m in list_models() if m["offline"]]
    with ws.store.read() as s:
        terms = codebook_terms(s, ws.project_id)
    with st.form("audio", clear_on_submit=True):
        files = st.file_uploader("Recordings to transcribe on this computer", accept_multiple_files=True,
                                 type=sorted(e.lstrip(".") for e in AUDIO_EXTENSIONS),
                                 help="Nothing leaves this machine. Stereo recordings with one speaker per "
                                      "channel come out as two speakers.")
        c1, c2, c3 = st.columns(3)
        language = c1.selectbox("Language", list(LANGUAGES), format_func=LANGUAGES.get,
                                help="Say the language when you know it: detection is unreliable for short or "
                                     "noisy recordings.")
        models = offline or [default_model()]
        model = c2.selectbox("Model", models, index=models.index(default_model()) if default_model() in models else 0,
                             help="Installed models work offline (see `workbench models`).")
        case = c3.text_input("Case (optional)")
        p1, p2 = st.columns(2)
        picked = p1.multiselect("Names from the codebooks", terms, key="audio_terms",
                                placeholder="Choose the ones the interviews will use" if terms else "No names found",
                                help="Proper names and acronyms in the codebooks' definitions, examples and rules")
        prompt = p2.text_input("Other names and jargon (optional)", placeholder="e.g. Heimtextil, Oeko-Tex",
                               help="Helps the model spell names, places and technical terms.")
        m1, m2 = st.columns(2)
        mixed = m1.checkbox("Languages may change", key="audio_mixed",
                            help="An interviewer in one language, answers in another: the language of each "
                                 "stretch of speech is detected and each is transcribed in its own (slower). "
                                 "Each turn keeps its language.")
        expected = m2.multiselect("Languages spoken (optional)", [c for c in LANGUAGES if c], key="audio_expected",
                                  format_func=LANGUAGES.get,
                                  help="With 'Languages may change': detection chooses among these only")
        submitted = st.form_submit_button("Queue transcription", type="primary", icon=":material/graphic_eq:")
    if not (submitted and files):
        return
    settings = load_settings()
    said = ", ".join([*picked, *([prompt.strip()] if prompt.strip() else [])])
    spoken = list(dict.fromkeys([*expected, *([language] if language else [])]))
    options = Options(model=model, language=None if mixed else language or None, languages_may_change=mixed,
                      expected_languages=spoken if mixed else [], initial_prompt=said or None)
    for f in files:
        try:
            _, job_id, created = enqueue_audio(ws.store, ws.project_id, ws.coder_id, f.name, f.getvalue(),
                                               media_dir=settings.media_dir, options=options,
                                               case=case.strip() or None, max_bytes=settings.max_upload_bytes)
        except WorkbenchError as exc:
            st.error(plain(exc), icon=":material/error:")
            continue
        if created:
            st.toast(f"Queued {md(f.name)} (job {job_id})")
        else:
            st.info(f"{md(f.name)} is already in the project (job {job_id}).")


@st.fragment(run_every=2)
def job_panel(ws: Workspace) -> None:
    """Live progress of transcriptions; it reads the job rows, so it survives navigating away."""
    with ws.store.read() as s:
        rows = list_jobs(s, ws.project_id, limit=20)
    if not rows:
        st.caption("No transcriptions yet.")
        return
    for r in rows:
        with st.container(border=True):
            head = st.columns([4, 1], vertical_alignment="center")
            head[0].markdown(f"**{md(r['source'])}** · job {r['id']} · {r['status']}")
            if r["status"] in ("queued", "running"):
                st.progress(float(r["progress"] or 0.0), text=r["message"] or "waiting for a worker")
                if head[1].button("Cancel", key=f"cancel:{r['id']}", width="stretch"):
                    cancel(ws.store, ws.project_id, r["id"])
                    st.rerun()
            elif r["status"] in ("failed", "cancelled"):
                if r["error"]:
                    st.error(plain(r["error"]), icon=":material/error:")
                if head[1].button("Retry", key=f"retry:{r['id']}", width="stretch"):
                    retry(ws.store, ws.project_id, r["id"])
                    st.rerun()
            else:
                st.caption(md(r["message"]))
