#!/usr/bin/env python3
"""Check the heldout8 interviews and their gold CSVs (adapted from heldout2/validate_gold.py).

For every interview (*.txt) in this folder:
  - each speaker turn is one line `Label: text`, turns separated by one blank line,
    labels are one interviewer/respondent pair (Interviewer/Respondent or
    Entrevistador/Entrevistado);
  - word count (whitespace, without labels) is reported.
For every <stem>.gold.csv:
  - header is exactly turn_start_text,codebook,code,rationale;
  - turn_start_text has exactly 8 whitespace-separated words, occurs exactly once in
    <stem>.txt and starts exactly one respondent turn (and no interviewer turn);
  - (codebook, code) exists in /work/main/codebooks/*.yaml (only the codebook `name`
    and the code `name`s, recursively through `children`, are read);
  - no duplicate (turn_start_text, codebook, code) rows; rationale not empty.
heldout8 additions:
  - turn_start_text equals the first 8 whitespace words of exactly one respondent turn;
  - each interview has 1,400-2,000 spoken words and 25-40 turns;
  - each gold file has 40-65 rows; the gold files together use all five codebooks;
  - the first-8-word starts of all respondent turns are unique in their file.
Exit status 0 when everything passes.
"""
import csv
import glob
import os
import sys

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
CODEBOOK_GLOB = "/work/main/codebooks/*.yaml"
PAIRS = {("Interviewer", "Respondent"), ("Entrevistador", "Entrevistado")}
RESPONDENT_LABELS = {"Respondent", "Entrevistado"}
HEADER = ["turn_start_text", "codebook", "code", "rationale"]


def load_code_names():
    """{codebook name: set of code names}; reads names only."""
    names = {}
    for path in sorted(glob.glob(CODEBOOK_GLOB)):
        with open(path, encoding="utf-8") as fh:
            data = yaml.safe_load(fh)
        codes = set()

        def walk(items):
            for item in items or []:
                codes.add(item["name"])
                walk(item.get("children"))

        walk(data.get("codes"))
        names[data["name"]] = codes
    return names


def parse_turns(path, errors):
    with open(path, encoding="utf-8") as fh:
        text = fh.read()
    if "\r" in text:
        errors.append(f"{os.path.basename(path)}: contains CR characters")
    blocks = text.strip("\n").split("\n\n")
    turns = []
    for i, block in enumerate(blocks, 1):
        if "\n" in block or not block.strip():
            errors.append(f"{os.path.basename(path)}: block {i} is not a single non-empty line")
            continue
        if ": " not in block:
            errors.append(f"{os.path.basename(path)}: block {i} has no 'Label: ' prefix")
            continue
        label, body = block.split(": ", 1)
        turns.append((label, body))
    labels = {lab for lab, _ in turns}
    if not any(labels == set(p) for p in PAIRS):
        errors.append(f"{os.path.basename(path)}: unexpected label set {sorted(labels)}")
    return text, turns


def main():
    errors = []
    code_names = load_code_names()
    summary = []
    used_codebooks = set()
    for txt in sorted(glob.glob(os.path.join(HERE, "*.txt"))):
        stem = os.path.basename(txt)[:-4]
        text, turns = parse_turns(txt, errors)
        words = sum(len(body.split()) for _, body in turns)
        gold = os.path.join(HERE, stem + ".gold.csv")
        n_rows = 0
        if not 1400 <= words <= 2000:
            errors.append(f"{stem}: {words} spoken words, outside 1400-2000")
        if not 25 <= len(turns) <= 40:
            errors.append(f"{stem}: {len(turns)} turns, outside 25-40")
        firsts = [" ".join(b.split()[:8]) for lab, b in turns if lab in RESPONDENT_LABELS]
        for f in set(firsts):
            if text.count(f) != 1:
                errors.append(f"{stem}: respondent turn start not unique in file: {f!r}")
        if not os.path.exists(gold):
            errors.append(f"{stem}: missing gold file")
            continue
        resp_starts = [body for lab, body in turns if lab in RESPONDENT_LABELS]
        other_starts = [body for lab, body in turns if lab not in RESPONDENT_LABELS]
        seen = set()
        with open(gold, encoding="utf-8", newline="") as fh:
            reader = csv.reader(fh)
            header = next(reader, None)
            if header != HEADER:
                errors.append(f"{stem}.gold.csv: header {header} != {HEADER}")
            for ln, row in enumerate(reader, 2):
                n_rows += 1
                where = f"{stem}.gold.csv line {ln}"
                if len(row) != 4:
                    errors.append(f"{where}: {len(row)} fields")
                    continue
                start, codebook, code, rationale = row
                if len(start.split()) != 8 or start != start.strip() or "  " in start:
                    errors.append(f"{where}: turn_start_text is not 8 single-spaced words: {start!r}")
                occ = text.count(start)
                if occ != 1:
                    errors.append(f"{where}: turn_start_text occurs {occ} times: {start!r}")
                n_resp = sum(1 for b in resp_starts if b.startswith(start))
                n_other = sum(1 for b in other_starts if b.startswith(start))
                if sum(1 for b in resp_starts if " ".join(b.split()[:8]) == start) != 1:
                    errors.append(f"{where}: not the first 8 words of exactly one respondent turn: {start!r}")
                if n_resp != 1 or n_other != 0:
                    errors.append(f"{where}: starts {n_resp} respondent and {n_other} other turns: {start!r}")
                if codebook not in code_names:
                    errors.append(f"{where}: unknown codebook {codebook!r}")
                elif code not in code_names[codebook]:
                    errors.append(f"{where}: code {code!r} not in codebook {codebook!r}")
                if not rationale.strip():
                    errors.append(f"{where}: empty rationale")
                key = (start, codebook, code)
                if key in seen:
                    errors.append(f"{where}: duplicate row {key}")
                seen.add(key)
                used_codebooks.add(codebook)
        if not 40 <= n_rows <= 65:
            errors.append(f"{stem}.gold.csv: {n_rows} rows, outside 40-65")
        summary.append((stem, words, len(turns), n_rows))
    missing = set(code_names) - used_codebooks
    if missing:
        errors.append(f"codebooks not used in any gold file: {sorted(missing)}")
    for stem, words, n_turns, rows in summary:
        print(f"{stem:32s} words={words:5d} turns={n_turns:3d} gold_rows={rows}")
    if errors:
        print(f"\nFAIL: {len(errors)} problem(s)")
        for e in errors:
            print("  -", e)
        return 1
    print("\nPASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
