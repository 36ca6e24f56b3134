"""Analyses kept between clicks: each is computed once per project data version
(:func:`workbench.db.versions.data_version`) and its arguments, so switching a tab, opening a
quote or clicking a count does not read 50,000 codings again; any change to the data (a coding, an
undo, a new source) gives a new version and a fresh result."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from workbench.analysis.agreement_query import ProjectAgreement, project_agreement
from workbench.analysis.cooccurrence import cooccurrence
from workbench.analysis.crosstab import Crosstab
from workbench.analysis.crosstab_query import project_crosstab
from workbench.analysis.retrieval import coded_quotes, coding_counts
from workbench.db.versions import data_version
from workbench.ui.state import Workspace, get_store

_KEEP = dict(max_entries=24, show_spinner=False, ttl=6 * 3600)


def _freeze(value):
    if isinstance(value, dict):
        return ("__dict__", tuple(sorted((k, _freeze(v)) for k, v in value.items())))
    if isinstance(value, (list, tuple, set)):
        return tuple(_freeze(v) for v in value)
    return value


def _thaw(value):
    if isinstance(value, tuple) and value[:1] == ("__dict__",):
        return {k: _thaw(v) for k, v in value[1]}
    if isinstance(value, tuple):
        return [_thaw(v) for v in value]
    return value


def version(ws: Workspace) -> tuple:
    """The project's data version now (one cheap query)."""
    with ws.store.read() as s:
        return data_version(s, ws.project_id)


def _kwargs(frozen: tuple) -> dict:
    return {k: _thaw(v) for k, v in frozen}


@st.cache_data(**_KEEP)
def _quotes(url: str, project_id: int, data_version_: tuple, frozen: tuple) -> pd.DataFrame:
    with get_store(url).read() as s:
        return coded_quotes(s, project_id, **_kwargs(frozen))


@st.cache_data(**_KEEP)
def _counts(url: str, project_id: int, data_version_: tuple, frozen: tuple) -> pd.DataFrame:
    with get_store(url).read() as s:
        return coding_counts(s, project_id, **_kwargs(frozen))


@st.cache_data(**_KEEP)
def _crosstab(url: str, project_id: int, data_version_: tuple, by: str, frozen: tuple) -> Crosstab:
    with get_store(url).read() as s:
        return project_crosstab(s, project_id, by, **_kwargs(frozen))


@st.cache_data(**_KEEP)
def _agreement(url: str, project_id: int, data_version_: tuple, coders: tuple, frozen: tuple) -> ProjectAgreement:
    with get_store(url).read() as s:
        return project_agreement(s, project_id, list(coders), **_kwargs(frozen))


@st.cache_data(**_KEEP)
def _cooccurrences(url: str, project_id: int, data_version_: tuple, unit: str, frozen: tuple) -> pd.DataFrame:
    return cooccurrence(_quotes(url, project_id, data_version_, frozen), unit=unit)


def _frozen(kwargs: dict) -> tuple:
    return tuple(sorted((k, _freeze(v)) for k, v in kwargs.items()))


def quotes(ws: Workspace, **kwargs) -> pd.DataFrame:
    """:func:`~workbench.analysis.retrieval.coded_quotes`, kept until the data changes."""
    return _quotes(ws.store.url, ws.project_id, version(ws), _frozen(kwargs))


def counts(ws: Workspace, **kwargs) -> pd.DataFrame:
    """:func:`~workbench.analysis.retrieval.coding_counts`, kept until the data changes."""
    return _counts(ws.store.url, ws.project_id, version(ws), _frozen(kwargs))


def crosstab(ws: Workspace, by: str, **kwargs) -> Crosstab:
    """:func:`~workbench.analysis.crosstab_query.project_crosstab`, kept until the data changes."""
    return _crosstab(ws.store.url, ws.project_id, version(ws), by, _frozen(kwargs))


def cooccurrences(ws: Workspace, unit: str, **kwargs) -> pd.DataFrame:
    """Code pairs of the quotes ``kwargs`` select (:func:`~workbench.analysis.cooccurrence.cooccurrence`)."""
    return _cooccurrences(ws.store.url, ws.project_id, version(ws), unit, _frozen(kwargs))


def agreement(ws: Workspace, coders: list[str], **kwargs) -> ProjectAgreement:
    """:func:`~workbench.analysis.agreement_query.project_agreement`, kept until the data changes."""
    return _agreement(ws.store.url, ws.project_id, version(ws), tuple(coders), _frozen(kwargs))
