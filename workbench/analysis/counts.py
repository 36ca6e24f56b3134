"""Counting codings: frequencies per code, a code x source matrix, code presence per case
(pure functions over the frame of coded quotes)."""
from __future__ import annotations

import numpy as np
import pandas as pd


def frequencies(quotes: pd.DataFrame) -> pd.DataFrame:
    """Per code: codings, sources, cases and coded words, most frequent first."""
    if quotes.empty:
        return pd.DataFrame(columns=["code", "codings", "sources", "cases", "coded_words"])
    words = quotes["quote"].str.split().str.len()
    frame = quotes.assign(words=words, case=quotes["case"].replace("", np.nan))
    out = frame.groupby("code").agg(codings=("coding_id", "count"), sources=("source_id", "nunique"),
                                    cases=("case", "nunique"), coded_words=("words", "sum")).reset_index()
    return out.sort_values(["cases", "codings"], ascending=False, kind="stable").reset_index(drop=True)


def code_source_matrix(quotes: pd.DataFrame) -> pd.DataFrame:
    """Codes x sources, codings per cell (from coded quotes, or from counts with an ``n`` column)."""
    if quotes.empty:
        return pd.DataFrame()
    if "n" in quotes.columns:
        return quotes.pivot_table(index="code", columns="source", values="n", aggfunc="sum", fill_value=0)
    return quotes.pivot_table(index="code", columns="source", values="coding_id", aggfunc="count", fill_value=0)


def presence_matrix(quotes: pd.DataFrame, cases: pd.DataFrame) -> pd.DataFrame:
    """0/1 per case and code, with the case attributes: for mixed-methods work."""
    have = quotes[quotes["case"] != ""].assign(v=1).pivot_table(index="case", columns="code", values="v",
                                                                 aggfunc="max", fill_value=0)
    out = cases.set_index("case").join(have, how="left")
    codes = list(have.columns)
    out[codes] = out[codes].fillna(0).astype(int)
    return out.reset_index()
