"""A methods section written from what was computed: for the crosstabs and agreement figures a
researcher actually exports, the unit, the counting rule, the coders and sources, the tests and
corrections, the effect size, the agreement measures and the software - each sentence read off
the result objects, never a template's promise."""
from __future__ import annotations

import platform
from importlib import metadata

from workbench.analysis.agreement import Agreement, shown
from workbench.analysis.crosstab import Crosstab
from workbench.analysis.presentation import p_text
from workbench.analysis.significance import ADJUSTMENTS, CHI_SQUARE, EXACT, FISHER


def _list(items: list[str]) -> str:
    items = [str(i) for i in items]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "?"


def crosstab_paragraph(ct: Crosstab, *, codebook: str | None = None, coders: list[str] | None = None) -> str:
    """What a crosstab counted and tested, in prose."""
    groups = _list([f"{g} ({n} {ct.count if ct.count != 'codings' else 'codings'})"
                    for g, n in ct.group_sizes.items()])
    of = f" of the codebook '{codebook}'" if codebook else ""
    who = f" by {_list(coders)}" if coders else ""
    unit = {"cases": "the case", "sources": "the source", "codings": "the coding"}[ct.count]
    text = [f"Codes{of} were compared between groups of cases defined by the case attribute '{ct.by}': {groups}."]
    if ct.count == "codings":
        text.append(f"The table counts codings{who}; codings are not independent observations, so no "
                    "significance test was computed.")
    else:
        rule = ("a parent code counted as present when it or any of its sub-codes was applied"
                if ct.subcodes else "each code counted only its own codings (sub-codes not included)")
        text.append(f"The unit of analysis was {unit}: a {ct.count[:-1]} counted as having a code when at least one "
                    f"coding{who} of it occurred in the {ct.count[:-1]}'s material ({rule}); mentioning a code "
                    f"several times did not count more than once.")
    if ct.excluded_cases:
        text.append(f"{len(ct.excluded_cases)} case(s) were excluded from the bases ("
                    f"{ct.excluded_cases[0][1]}): {_list([c for c, _ in ct.excluded_cases[:12]])}"
                    f"{' and others' if len(ct.excluded_cases) > 12 else ''}.")
    tested = [t for t in ct.tests if t.test is not None]
    if ct.tests:
        used = {t.test.split(" (")[0] for t in tested}
        names = []
        if FISHER in used:
            names.append("Fisher's exact test (two groups)")
        if EXACT in used:
            names.append("the Freeman-Halton extension of Fisher's exact test (more than two groups with an expected "
                         "count below 5" + ("; estimated from 20,000 Monte Carlo tables where the tables were too many "
                                           "to enumerate" if any("Monte Carlo" in t.test for t in tested) else "") + ")")
        if CHI_SQUARE in used:
            names.append("Pearson's chi-square test without continuity correction (every expected count 5 or more)")
        untested = len(ct.tests) - len(tested)
        text.append(f"For each code, presence was tested against the grouping with {_list(names) or 'no test'}"
                    + (f"; {untested} code(s) present in no case or in every case were not tested" if untested else "")
                    + ".")
        if tested and ct.adjustment != "none":
            text.append(f"p-values were adjusted for the {len(tested)} tests with {ADJUSTMENTS[ct.adjustment]}'s "
                        "method" + (" (family-wise error)" if ct.adjustment == "holm" else " (false discovery rate)")
                        + f", at alpha = {ct.alpha:g}.")
        elif tested:
            text.append(f"p-values were not adjusted for multiple comparisons ({len(tested)} tests, alpha = {ct.alpha:g}).")
        if tested:
            text.append("The effect size reported is Cramér's V with Bergsma's (2013) bias correction.")
        if ct.smallest_p is not None and ct.smallest_p >= ct.alpha:
            text.append(f"With these group sizes the smallest attainable p-value was {ct.smallest_p:.3f}, so no code "
                        f"could reach significance at alpha = {ct.alpha:g}; the comparison is descriptive.")
        found = ct.significant()
        text.append(f"{len(found)} of {len(tested)} tested codes differed between the groups"
                    + (f" ({_list([f'{c}, adjusted p = {p_text(t.p_adjusted)}' for c in found for t in ct.tests if t.code == c])})"
                       if found and ct.adjustment != "none" else f" ({_list(found)})" if found else "") + ".")
    return " ".join(text)


def agreement_paragraph(result: Agreement, *, codebook: str | None = None, excluded_names: list[str] | None = None,
                        compared_count: int | None = None) -> str:
    """How agreement was computed and what it came to, in prose."""
    n = compared_count if compared_count is not None else len(result.compared)
    basis = ("both marked as completely coded" if len(result.coders) == 2 else "all of them marked as completely coded") \
        if result.basis == "marked done" else "in which each of them applied at least one code (no source had been " \
                                              "marked as completely coded)"
    of = f" of the codebook '{codebook}'" if codebook else ""
    text = [f"Inter-coder agreement between {_list(result.coders)} was computed for the codes{of} over the {n} "
            f"source(s) {basis}."]
    if result.excluded:
        names = excluded_names or [str(s) for s, _ in result.excluded]
        text.append(f"{len(result.excluded)} source(s) were not compared because not every coder had "
                    + ("marked them done" if result.basis == "marked done" else "coded in them")
                    + f": {_list(names[:12])}{' and others' if len(names) > 12 else ''}.")
    pooled = result.pooled
    unit = {"source": "the source: a coder applied the code somewhere in it or not",
            "turn": "the speaker turn: a turn counted as coded with a code when a coder's coding of that code "
                    "overlapped it",
            "character": "the character: each character counted as coded or not"}[result.unit]
    turns = ("Only the respondents' turns were units (the interviewer's turns were left out)"
             if not result.include_interviewer else "Every speaker turn was a unit, the interviewer's included")
    text.append(f"The unit was {unit}. " + (f"{turns}; the blank lines between turns are never units. "
                                             if result.unit != "source" else "")
                + "Within the compared sources a unit a coder did not code counts as not coded, so a source marked "
                  "done and left empty counts as coded nothing.")
    text.append("Percent agreement, " + ("Cohen's kappa and " if len(result.coders) == 2 else "")
                + "Krippendorff's alpha (nominal) are reported per code and pooled over codes, where each combination "
                  "of a unit and a code counts as one unit; where every unit received the same value from every coder, "
                  "kappa and alpha are undefined and reported as such.")
    kappa = f", Cohen's kappa {shown(pooled['cohen_kappa'], 2)}" if len(result.coders) == 2 else ""
    text.append(f"Pooled over {int(pooled['units']):,} units: percent agreement "
                f"{pooled['percent_agreement'] * 100:.1f}%{kappa}, Krippendorff's alpha "
                f"{shown(pooled['krippendorff_alpha'], 2)}.")
    return " ".join(text)


def software_paragraph() -> str:
    """The software and versions, as journals ask for them."""
    return (f"Analyses were carried out with the Interview workbench {_version('interview-workbench')} "
            f"(Python {platform.python_version()}; SciPy {_version('scipy')}, pandas {_version('pandas')}, "
            f"NumPy {_version('numpy')}).")


def methods(crosstabs: list[tuple[Crosstab, dict]] | None = None,
            agreements: list[tuple[Agreement, dict]] | None = None) -> list[str]:
    """The paragraphs for what was computed: each crosstab and agreement result with the keyword
    arguments of its paragraph, then the software."""
    out = [crosstab_paragraph(ct, **kw) for ct, kw in crosstabs or []]
    out += [agreement_paragraph(a, **kw) for a, kw in agreements or []]
    if out:
        out.append(software_paragraph())
    return out
