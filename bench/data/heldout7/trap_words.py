import re, glob, os
here = os.path.dirname(os.path.abspath(__file__))
TRAPS = {
 "export": r"\bexport", "import": r"\bimport(?!an)", "foreign": r"\bforeign\b", "supplier": r"\bsupplier",
 "market": r"\bmarket", "cost": r"\bcost", "price": r"\bpric", "fair": r"\bfairs?\b", "exhibition": r"\bexhibition",
 "stand": r"\bstands?\b", "partner": r"\bpartner", "agreement": r"\bagreement", "contract": r"\bcontract",
 "association": r"\bassociation", "federation": r"\bfederation", "network": r"\bnetwork", "training": r"\btraining",
 "information": r"\binformation", "language": r"\blanguage|\benglish\b", "consultant": r"\bconsult",
 "distributor": r"\bdistributor", "competitor/competition": r"\bcompeti", "tender": r"\btender", "bid": r"\bbid",
 "abroad": r"\babroad\b", "trip": r"\btrip", "European project": r"\beuropean projects?\b|\bhorizon project|\berasmus",
 "I don't know": r"i don't know", "negotiat": r"\bnegotiat", "certif": r"\bcertif", "standard": r"\bstandards?\b",
 "risk": r"\brisk", "customs": r"\bcustoms\b",
}
for f in sorted(glob.glob(os.path.join(here, "offtopic7-*.txt"))):
    t = open(f, encoding="utf-8").read().lower()
    body = " ".join(l.partition(": ")[2] for l in t.split("\n\n"))
    found = {k: len(re.findall(p, body)) for k, p in TRAPS.items()}
    print(os.path.basename(f))
    print("  present:", ", ".join(f"{k} ({n})" for k, n in found.items() if n))
    print("  absent: ", ", ".join(k for k, n in found.items() if not n) or "-")
