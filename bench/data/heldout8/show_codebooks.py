#!/usr/bin/env python3
"""Print each codebook's name/description and, per code, name, parent, definition,
when_to_use, when_not_to_use. No other keys are printed."""
import glob

import yaml

FIELDS = ("definition", "when_to_use", "when_not_to_use")


def walk(items, parent, depth):
    for item in items or []:
        ind = "  " * depth
        print(f"{ind}- CODE: {item.get('name')}   (parent: {parent})")
        for f in FIELDS:
            if f in item:
                print(f"{ind}    {f}: {item.get(f)}")
        walk(item.get("children"), item.get("name"), depth + 1)


for path in sorted(glob.glob("/work/main/codebooks/*.yaml")):
    with open(path, encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    print("=" * 70)
    print("FILE:", path.split("/")[-1])
    print("NAME:", data.get("name"))
    print("DESCRIPTION:", data.get("description"))
    walk(data.get("codes"), None, 0)
