"""Print only name/description and per-code name, parent, definition, when_to_use, when_not_to_use."""
import glob

import yaml

ALLOWED = ("definition", "when_to_use", "when_not_to_use")

def walk(codes, parent=None):
    for c in codes or []:
        if not isinstance(c, dict):
            continue
        print(f"  CODE: {c.get('name')}   (parent: {parent})")
        for k in ALLOWED:
            if k in c:
                print(f"    {k}: {c[k]}")
        for key in ("children", "codes", "subcodes"):
            if key in c:
                walk(c[key], c.get('name'))

for path in sorted(glob.glob("/work/main/codebooks/*.yaml")):
    data = yaml.safe_load(open(path, encoding="utf-8"))
    print("=" * 70)
    print("FILE:", path.split("/")[-1])
    print("NAME:", data.get("name"))
    print("DESCRIPTION:", data.get("description"))
    print("TOP-LEVEL KEYS:", [k for k in data.keys()])
    walk(data.get("codes"))
