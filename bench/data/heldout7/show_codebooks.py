import glob

import yaml


def walk(codes, depth=0):
    for c in codes or []:
        print("  "*depth + "- CODE:", c.get("name"))
        for k in ("definition","when_to_use","when_not_to_use"):
            if c.get(k): print("  "*depth + f"    {k}: {c.get(k)}")
        for sub in ("codes","children","subcodes"):
            if isinstance(c.get(sub), list): walk(c[sub], depth+1)
for f in sorted(glob.glob("/work/main/codebooks/*.yaml")):
    d = yaml.safe_load(open(f))
    print("=====", f.split("/")[-1]); print("name:", d.get("name")); print("description:", d.get("description"))
    print("top-level keys:", list(d.keys()))
    walk(d.get("codes"))
