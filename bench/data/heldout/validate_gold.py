"""Check the held-out gold files against their texts and the codebooks' code names.

Reads from the codebooks only `name` (codebook) and the code names/hierarchy.
"""
import csv
import glob
import os
import sys

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
CODEBOOKS = os.path.join(HERE, '..', '..', '..', 'codebooks')

def code_names(codes):
    for c in codes:
        yield c['name']
        yield from code_names(c.get('children') or [])

valid = set()
for f in glob.glob(os.path.join(CODEBOOKS, '*.yaml')):
    d = yaml.safe_load(open(f, encoding='utf-8'))
    for n in code_names(d['codes']):
        valid.add((d['name'], n))

ok = True
for gold in sorted(glob.glob(os.path.join(HERE, '*.gold.csv'))):
    txt = gold[:-len('.gold.csv')] + '.txt'
    text = open(txt, encoding='utf-8').read()
    turns = [p.strip() for p in text.split('\n\n') if p.strip()]
    bad_labels = [t[:30] for t in turns if not t.startswith(('Interviewer: ', 'Respondent: '))]
    if bad_labels:
        ok = False; print(txt, 'turns without a speaker label:', bad_labels)
    resp = [t[len('Respondent: '):] for t in turns if t.startswith('Respondent: ')]
    rows = list(csv.DictReader(open(gold, encoding='utf-8', newline='')))
    assert list(rows[0].keys()) == ['turn_start_text', 'codebook', 'code', 'rationale'], rows[0].keys()
    seen = set()
    for i, r in enumerate(rows, 2):
        s = r['turn_start_text']
        if len(s.split()) != 8:
            ok = False; print(gold, i, 'not 8 words:', s)
        if text.count(s) != 1:
            ok = False; print(gold, i, 'occurs %d times in text:' % text.count(s), s)
        starts = [t for t in resp if t.startswith(s)]
        if len(starts) != 1 or ' '.join(starts[0].split()[:8]) != s:
            ok = False; print(gold, i, 'not the start of exactly one respondent turn:', s)
        if (r['codebook'], r['code']) not in valid:
            ok = False; print(gold, i, 'unknown (codebook, code):', r['codebook'], '/', r['code'])
        key = (s, r['codebook'], r['code'])
        if key in seen:
            ok = False; print(gold, i, 'duplicate row:', key)
        seen.add(key)
        if not r['rationale'].strip():
            ok = False; print(gold, i, 'empty rationale')
    print('%s: %d rows, %d coded turns of %d respondent turns' % (
        os.path.basename(gold), len(rows), len({k[0] for k in seen}), len(resp)))
print('OK' if ok else 'ERRORS')
sys.exit(0 if ok else 1)
