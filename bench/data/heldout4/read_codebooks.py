# Prints, for each codebook, name, description and per code: name, parent, definition,
# when_to_use, when_not_to_use. Never prints rules, rule_context or examples.
import glob

import yaml


def walk(codes, parent, out):
    for c in codes or []:
        if not isinstance(c, dict): continue
        out.append((c.get('name'), parent, c.get('definition'), c.get('when_to_use'), c.get('when_not_to_use')))
        for k in ('children','codes','subcodes'):
            if k in c: walk(c[k], c.get('name'), out)
for f in sorted(glob.glob('/work/main/codebooks/*.yaml')):
    d = yaml.safe_load(open(f))
    print('=====', f.split('/')[-1])
    print('NAME:', d.get('name')); print('DESC:', d.get('description'))
    out=[]; walk(d.get('codes'), None, out)
    for n,p,df,wu,wn in out:
        print(f'-- CODE: {n} | parent: {p}')
        print('   definition:', df); print('   when_to_use:', wu); print('   when_not_to_use:', wn)
