"""Statistics as people read them, decided once for the CLI, the app, the spreadsheets and the
Word report: p-values to three decimals ("< 0.001" below), "–" where no test was run (with the
reason beside it), "undefined (no variation)" for a statistic that does not exist."""
from __future__ import annotations

from workbench.analysis.agreement import POOLED, Agreement, shown
from workbench.analysis.crosstab import Crosstab
from workbench.analysis.significance import ADJUSTMENTS

DASH = "–"


READABLE = {"code_a": "code", "code_b": "with code", "count": "together", "n_a": "units of code",
            "n_b": "units of other", "jaccard": "Jaccard", "c_coefficient": "c-coefficient",
            "coded_words": "coded words", "codings": "codings", "sources": "sources", "cases": "cases"}


def readable(frame):
    """A table with column names for people (``coded_words`` -> ``coded words``)."""
    return frame.rename(columns=READABLE)


def p_text(p: float | None) -> str:
    """A p-value for a table: three decimals, "< 0.001", or a dash when there is none."""
    if p is None or p != p:
        return DASH
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


def v_text(v: float | None) -> str:
    return DASH if v is None or v != v else f"{v:.2f}"


def crosstab_rows(ct: Crosstab) -> list[dict]:
    """One row per code: the count and column percentage per group, then the test, p, adjusted p,
    the effect size and a note (why no test; a code that could not reach significance)."""
    tests = {t.code: t for t in ct.tests}
    adjusted = f"p ({ADJUSTMENTS[ct.adjustment]})"
    out = []
    for code, row in ct.table.iterrows():
        r = {"code": code}
        for group, n in row.items():
            pct = ct.col_percent.loc[code, group]
            r[f"{group} (n={ct.group_sizes[group]})"] = f"{n} ({pct:.0f}%)" if pct == pct else str(n)
        t = tests.get(code)
        if t is not None:
            r["test"] = t.test or DASH
            r["p"] = p_text(t.p_value)
            if ct.adjustment != "none":
                r[adjusted] = p_text(t.p_adjusted)
            r["V (bias-corrected)"] = v_text(t.cramers_v if t.test else None)
            note = t.why_not
            design_says_it = ct.smallest_p is not None and ct.smallest_p >= ct.alpha   # said once, under the table
            if t.test and t.min_p is not None and t.min_p >= ct.alpha and not design_says_it:
                note = f"cannot reach p < {ct.alpha:g} (smallest possible p {t.min_p:.3f})"
            r["note"] = note
        out.append(r)
    return out


def agreement_rows(result: Agreement) -> list[dict]:
    """One row per code and the pooled row: units, percent agreement, kappa, alpha (undefined
    written out), and how often each coder said yes."""
    out = []
    for r in result.table.to_dict("records"):
        units = int(round(r["units"]))
        row = {"code": r["code"], "units": f"{units:,}", "percent agreement": shown(r["percent_agreement"] * 100, 1)
               + ("%" if r["percent_agreement"] == r["percent_agreement"] else ""),
               "Cohen's kappa": shown(r["cohen_kappa"]) if len(result.coders) == 2 else DASH,
               "Krippendorff's alpha": shown(r["krippendorff_alpha"])}
        for coder in result.coders:
            row[f"yes by {coder}"] = f"{int(round(r[f'yes by {coder}'])):,}"
        out.append(row)
    return out


def pooled_words(result: Agreement) -> str:
    """How the pooled row was computed, in words."""
    return (f"'{POOLED}' treats every pair of a unit and a code as one unit ({result.pooled['units']:,.0f} "
            "in all): the per-code data side by side, not an average of the per-code figures")
