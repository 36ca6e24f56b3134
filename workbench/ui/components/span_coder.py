"""The select-and-code component (``st.components.v2``, no build step).

Data in: the payload of :func:`workbench.transcript_view.build_view`. Out: ``selection``
(state: survives reruns until replaced), ``clicked`` and ``play`` (triggers: one rerun).
"""
from __future__ import annotations

from pathlib import Path

import streamlit as st

_HERE = Path(__file__).resolve().parent
_component = st.components.v2.component(
    "workbench.span_coder",
    html="",
    css=(_HERE / "span_coder.css").read_text(encoding="utf-8"),
    js=(_HERE / "span_coder.js").read_text(encoding="utf-8"),
    # Not isolated: inside a shadow root window.getSelection() cannot see the text.
    isolate_styles=False,
)


def _noop() -> None:
    """Declaring a callback makes the value visible to Python."""


def span_coder(payload: dict, *, key: str):
    """Mount the transcript; returns the component result (``.selection``, ``.clicked``, ``.play``)."""
    return _component(key=key, data=payload, default={"selection": None},
                      on_selection_change=_noop, on_clicked_change=_noop, on_play_change=_noop)
