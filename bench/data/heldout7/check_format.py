import sys, re, glob, os
here = os.path.dirname(os.path.abspath(__file__))
LABELS = ("Interviewer: ", "Respondent: ")
ok_all = True
for f in sorted(glob.glob(os.path.join(here, "offtopic7-*.txt"))):
    text = open(f, encoding="utf-8").read()
    problems = []
    if "\r" in text: problems.append("CR characters")
    if not text.endswith("\n") or text.endswith("\n\n"): problems.append("file must end with exactly one newline")
    blocks = text.rstrip("\n").split("\n\n")
    words = rwords = 0; turns = 0; prev = None; starts = []
    for i, b in enumerate(blocks):
        if "\n" in b: problems.append(f"block {i+1} spans several lines / missing blank line")
        if not b.startswith(LABELS): problems.append(f"block {i+1} has no valid label: {b[:30]!r}")
        lab, _, body = b.partition(": ")
        if lab == prev: problems.append(f"block {i+1}: two {lab} turns in a row")
        prev = lab; turns += 1
        n = len(body.split()); words += n
        if lab == "Respondent": rwords += n; starts.append(" ".join(body.split()[:8]))
        if not body.strip(): problems.append(f"block {i+1} empty")
    if len(set(starts)) != len(starts): problems.append("respondent turn starts not unique")
    if not blocks[0].startswith("Interviewer: "): problems.append("does not start with Interviewer")
    if not (850 <= words <= 1200): problems.append(f"spoken words {words} outside 850-1200")
    if not (20 <= turns <= 30): problems.append(f"turns {turns} outside 20-30")
    ok_all &= not problems
    print(f"{os.path.basename(f)}: words={words} respondent_words={rwords} turns={turns} {'OK' if not problems else problems}")
sys.exit(0 if ok_all else 1)
