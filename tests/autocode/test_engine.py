"""The fast paths of autocoding give exactly what the plain spaCy way gives: one Matcher over
every turn, spaCy's Sentencizer, spaCy's lookup lemmatizer."""
from __future__ import annotations

import random

import pytest

from tests.paths import REPO
from workbench.autocode.anchors import leading_texts, pattern_length, required_literals, required_words
from workbench.autocode.engine import Turn, _merged, compile_rules, match_turns
from workbench.autocode.pipelines import pipeline, sentences
from workbench.autocode.regexes import RegexSet, _matches_at
from workbench.autocode.runs import rules_of_files
from workbench.corpus.language import guess_language
from workbench.corpus.parsers import parse_file


def shipped_rules():
    return rules_of_files(sorted((REPO / "codebooks").glob("*.yaml")))


def demo_turns():
    turns = []
    for path in sorted((REPO / "transcripts").glob("*.txt")):
        parsed, _ = parse_file(path)
        lang = guess_language(parsed.text) or "en"
        turns += [(seg.text, lang) for seg in parsed.segments]
    return turns


def test_anchors_pick_a_required_selective_word():
    nlp = pipeline("en")
    assert required_words([{"LOWER": "association"}, {"LEMMA": {"IN": ["do", "make"]}}], nlp)[0] == {"association"}
    # optional tokens never anchor; stop words are poor anchors
    assert required_words([{"LOWER": "the", "OP": "?"}, {"LEMMA": {"IN": ["fair", "exhibition"]}}], nlp) == [{
        "fair", "exhibition"}]
    assert required_words([{"LIKE_NUM": True}, {"OP": "?"}], nlp) == []
    assert required_words([{"LOWER": {"REGEX": "^miss(ão|ões)$"}}], nlp) == ["^miss(ão|ões)$"]
    assert pattern_length([{"LOWER": "a"}, {"OP": "?"}, {"LOWER": "b"}]) == 3
    assert pattern_length([{"LOWER": "a"}, {"OP": "*"}]) is None
    assert required_literals(r"\bassociation\b[^.!?]{0,80}\b(shared|split)\b") == [("association",), ("hared", "plit")]
    assert required_literals(r"\b(put us in touch|introduced us)\b") == [("put us in touch", "introduced us")]
    assert required_literals(r"\b(competitors?|compete|rivals?)\b[^.!?]{0,120}\b(share[ds]?|sharing)\b") == [
        ("shar",), ("competitor", "compete", "rival")]
    # a branch that needs no text of three letters or more makes no condition
    assert required_literals(r"\b(us|me|association)\b") == []
    assert required_literals(r"\bniches?\b(abroad)?") == [("niche",)]
    assert _merged([(17, 24), (0, 5), (2, 7)]) == [(0, 7), (17, 24)]


def test_required_words_rank_every_required_token():
    nlp = pipeline("en")
    pattern = [{"LEMMA": {"IN": ["share", "split"]}}, {"LOWER": "the", "OP": "?"}, {"LOWER": "of"},
               {"LEMMA": "cost"}]
    assert required_words(pattern, nlp) == [{"cost"}, {"share", "split"}, {"of"}]


def test_lemmas_and_sentences_agree_with_spacy():
    import spacy
    for lang, text in (("en", "Shared costs. We were SHARING the risks!! \"Fine.\" Associations... helped us"),
                       ("pt", "As associações partilharam os custos. Fomos às feiras! Tudo bem?")):
        nlp = pipeline(lang)
        reference = spacy.blank(lang)
        reference.add_pipe("sentencizer")
        lemmatizer = reference.add_pipe("lemmatizer", config={"mode": "lookup"})
        reference.initialize()
        ref = reference(text)
        doc = nlp(text)
        assert sentences(doc, lang) == [(s.start_char, s.end_char) for s in ref.sents]
        rng = random.Random(2)                      # runs of end marks, quotes and brackets
        for _ in range(300):
            odd = " ".join(rng.choice([".", "!", "?", '"', ")", "(", "...", "word", "Hello", "!!", "'"])
                           for _ in range(rng.randrange(1, 25)))
            assert sentences(nlp(odd), lang) == [(s.start_char, s.end_char) for s in reference(odd).sents], odd
        table = lemmatizer.lookups.get_table("lemma_lookup")
        assert [t.lemma_ for t in doc] == [table.get(t.lower_, t.lower_) for t in ref]


@pytest.mark.parametrize("lang", ["en", "pt"])
def test_windowed_per_rule_matchers_find_what_one_matcher_finds(lang):
    from spacy.matcher import Matcher
    rules = shipped_rules()
    compiled = compile_rules(rules, lang)
    everything = Matcher(compiled.nlp.vocab)
    for rule_id in compiled.token_matchers:
        everything.add(rule_id, compiled.rules[rule_id].patterns)
    texts = [t for t, tl in demo_turns() if tl == lang]
    rng = random.Random(3)
    texts += [" ".join(rng.sample(" ".join(texts).split(), 40)) for _ in range(50)]   # words in odd orders
    total = 0
    for doc in compiled.nlp.pipe(texts):
        expected = {(compiled.nlp.vocab.strings[m], s, e) for m, s, e in everything(doc)}
        assert compiled.token_hits(doc) == expected
        total += len(expected)
    assert total > 5                     # the check compared real matches


def test_match_turns_end_to_end_is_unchanged_by_the_fast_paths():
    """Turns joined in docs, regexes on lower-cased text (skipped when a word they need is
    missing) and windowed per-rule matchers propose exactly what one doc per turn, IGNORECASE
    regexes everywhere and one Matcher do."""
    from spacy.matcher import Matcher
    rules = shipped_rules()
    turns = [Turn(i, 0, t, "interviewee", lang) for i, (t, lang) in enumerate(demo_turns())]
    for lang in ("en", "pt"):
        mine = [t for t in turns if t.language == lang]
        fast = compile_rules(rules, lang)
        plain = compile_rules(rules, lang)
        plain.bundles = False                           # one doc per turn
        plain.regexes = RegexSet(shortcuts=False)       # every regex on every turn
        for rx in fast.regexes.regexes:
            plain.regexes.add(rx.rule_id, rx.original.pattern)
        everything = Matcher(plain.nlp.vocab)
        for rule_id in plain.token_matchers:
            everything.add(rule_id, plain.rules[rule_id].patterns)
        strings = plain.nlp.vocab.strings
        plain.token_hits = lambda doc: {(strings[m], s, e) for m, s, e in everything(doc)}
        got = [(p.source_id, p.code_id, p.start, p.end, p.rule) for p in match_turns(mine, fast)]
        want = [(p.source_id, p.code_id, p.start, p.end, p.rule) for p in match_turns(mine, plain)]
        assert got == want and len(got) > 20


def test_regexes_tried_only_where_their_leading_texts_occur_match_like_finditer():
    """A regex whose matches all start with known texts is tried only where they occur; the
    matches are those of finditer over the whole text - word boundaries looking back past the
    start, overlapping candidates, matches right after one another."""
    import regex

    from workbench.autocode.anchors import leading_texts
    from workbench.autocode.regexes import _matches_at
    assert leading_texts(r"\b(competitors?|compete|rivals?)\b") == ("compete", "competitor", "rival")
    assert leading_texts(r"\b(shared|split)\b") == ("shared", "split")
    assert leading_texts(r"[^.]foo") is None and leading_texts(r"\b(us|me)\b") is None
    assert leading_texts(r"[[a-z]--[q]]abc") is None          # a version-1 set: no shortcut
    texts = ["xcompete compete competitors; rival-rivals rivalry", "aaaaaaa aaa", "shared split, splits shared.",
             "the association shared costs, and the association split the stand", "", "compete",
             "The ASSOCIATION Shared COSTS", "İstanbul: the association shared costs"]   # İ lower-cases to two
    rng = random.Random(5)
    words = " ".join(texts).split()
    texts += [" ".join(rng.choice(words) for _ in range(30)) for _ in range(200)]
    for pattern in (r"\b(competitors?|compete|rivals?)\b", r"aaa", r"a{3}", r"\b(shared|split)\b[^.!?]{0,40}\b(costs?|stand)\b",
                    r"association\b[^.!?]{0,80}\b(shared|split)\b", r"(?<!x)compete", r"rival\w*"):
        leading = leading_texts(pattern)
        compiled = regex.compile(pattern, regex.V1)
        assert (leading is None) == (pattern == r"a{3}")
        for text in texts if leading else ():
            want = [(m.start(), m.end()) for m in compiled.finditer(text)]
            starts = sorted({i for lead in leading for i in range(len(text)) if text.startswith(lead, i)})
            assert [(m.start(), m.end()) for m in _matches_at(compiled, text, starts)] == want, (pattern, text)
    # The whole way (conditions, automaton, starts, the lower-cased text) against what each
    # rule means: its regex, case-insensitive, over the text as it is - also for syntax that
    # lower-casing would change and letters that fold to more than their lower case.
    texts += ["Die Messe an der Straße, STRASSE 5", "ΟΔΟΣ και οδός στη ΣΤΡΑΣΣΕ", "The FAIRS were big"]
    for pattern in (r"\b(competitors?|compete|rivals?)\b", r"aaa", r"a{3}", r"\b(shared|split)\b[^.!?]{0,40}\b(costs?|stand)\b",
                    r"association\b[^.!?]{0,80}\b(shared|split)\b", r"(?<!x)compete", r"rival\w*", r"strasse",
                    r"(?P<Name>fair)\w*", r"\p{Lu}\w+ (shared|fair)", r"οδος", r"[A-ZÁÉ]\w+ stand"):
        regexes = RegexSet()
        regexes.add("r", pattern)
        reference = regex.compile(pattern, regex.IGNORECASE | regex.V1)
        for text in texts:
            assert regexes.hits(text) == [("r", m.start(), m.end()) for m in reference.finditer(text)], (pattern, text)


def test_turns_joined_in_one_doc_match_as_they_do_alone():
    """A phrase or pattern that would run from the end of one turn into the next is not a
    match; units, offsets and exclusions stay within each turn; turns with white space at an
    end, and rules that look at where a doc starts, get a doc of their own."""
    from workbench.autocode.engine import _bundles
    from workbench.codebook.rules import parse_rule

    def rule(raw, code_id):
        r = parse_rule(raw, code="c", index=code_id, default_languages=["en"])
        r.code_id = code_id
        return r
    rules = [rule({"id": "fair-stand", "patterns": [[{"LOWER": "fair"}, {"OP": "*"}, {"LOWER": "stand"}]],
                   "unit": "match"}, 1),
             rule({"id": "phrase", "phrases": ["trade fair", "shared stand"], "exclude": ["never"]}, 2),
             rule({"id": "rx", "regex": r"\bstand\b", "unit": "turn"}, 3)]
    texts = ["We went to the trade", "fair. The stand was shared", "shared stand", "  trade fair with a stand  ",
             "Never a shared stand. A trade fair, yes.", "It was a trade fair", "stand by stand"]
    turns = [Turn(1, 100 * i, t, "interviewee", "en") for i, t in enumerate(texts)]
    assert [len(g) for g in _bundles(turns, 8)] == [3, 1, 3]
    joined = compile_rules(rules, "en")
    alone = compile_rules(rules, "en")
    alone.bundles = False
    got = [(p.start, p.end, p.rule) for p in match_turns(turns, joined)]
    assert got == [(p.start, p.end, p.rule) for p in match_turns(turns, alone)]
    assert (0, 20, "phrase") not in got and not any(p[0] < 100 < p[1] for p in got)
    assert [p for p in got if 400 <= p[0] < 500 and p[2] == "phrase"] == [(422, 440, "phrase")]   # not "Never ..."
    assert (100, 115, "fair-stand") in got and (600, 614, "rx") in got
    sentence_start = rule({"patterns": [[{"IS_SENT_START": True}, {"LOWER": "stand"}]]}, 4)
    assert compile_rules(rules + [sentence_start], "en").bundles is False


def test_review_findings_stay_fixed(monkeypatch):
    """Found by a review of the fast paths: each compared with the plain way."""
    import re

    import regex
    from spacy.matcher import Matcher

    import workbench.autocode.engine as autocode_mod
    from workbench.codebook.rules import REGEX_TIMEOUT, parse_rule

    def rule(raw, code_id=1):
        r = parse_rule({"id": f"r{code_id}", **raw}, code="c", index=0, default_languages=["en"])
        r.code_id = code_id
        return r

    # spaCy reads "op" as well as "OP"; word regexes in gates are compiled as spaCy does (re)
    for patterns in ([[{"LOWER": "fair"}, {"LOWER": "big", "op": "?"}, {"LOWER": "stand"}]],
                     [[{"LOWER": "fair"}, {"op": "*"}, {"LOWER": "stand"}]],
                     [[{"LOWER": {"REGEX": "^[[:alpha:]]+$"}}, {"LOWER": "really"}]]):
        compiled = compile_rules([rule({"patterns": patterns})], "en")
        doc = compiled.nlp("fair stand and a fair very very big stand so happy :] really")
        everything = Matcher(compiled.nlp.vocab)
        everything.add("r1", patterns)
        assert compiled.token_hits(doc) == {("r1", s, e) for _, s, e in everything(doc)}
    # joined docs stay under spaCy's length limit
    monkeypatch.setattr(autocode_mod, "BUNDLE_CHARS", 60)
    turns = [Turn(1, 100 * i, "word " * n + "end", None, "en") for i, n in enumerate([3, 5, 20, 2, 2, 30, 1])]
    for group in autocode_mod._bundles(turns, 8):
        assert len(group) == 1 or sum(len(t.text) + 2 for t in group) <= 60
    # a zero-width match makes no empty proposal, joined or not
    zero = [rule({"regex": r"(?<=stand)", "unit": "match", "exclude": ["never"]})]
    turns = [Turn(1, 0, "never a stand", None, "en"), Turn(1, 100, "ok", None, "en")]
    for bundles in (True, False):
        compiled = compile_rules(zero, "en")
        compiled.bundles = bundles
        assert list(match_turns(turns, compiled)) == []
    # the regex timeout bounds a turn, not each place a match could start: the tries share one
    # budget (each gets what is left). A fake clock makes every try cost a fifth of the budget, so
    # the test does not depend on how fast the machine is.
    import workbench.autocode.regexes as regexes_mod
    now = [0.0]

    def tick() -> float:
        now[0] += REGEX_TIMEOUT / 5
        return now[0]
    monkeypatch.setattr(regexes_mod.time, "monotonic", tick)
    budgets = []

    class Spy:
        def __init__(self, pattern):
            self.pattern, self.inner = pattern.pattern, pattern

        def match(self, text, pos, timeout):
            budgets.append(timeout)
            return None                        # no match here: try the next place
    text = " ".join(["abc" + "x" * 21] * 40)
    with pytest.raises(TimeoutError):
        list(_matches_at(Spy(regex.compile("abc")), text, [m.start() for m in re.finditer("abc", text)]))
    assert len(budgets) < 5 and budgets == sorted(budgets, reverse=True) and budgets[0] <= REGEX_TIMEOUT
    monkeypatch.undo()
    # regexes whose lower-cased copy would mean something else run as written
    texts = ["abc ABC a_b", "our competitr said", "KADIN kadın", "ı I i", "Straße strasse µm μm"]
    for pattern in (r"(?-i:ABC)", r"\x41bc", r"[A-z]+", r"[0\n-^]", r"(?:competitor){e<=1}", "kadın", "I", "straße",
                    "µm", r"(?x)a b c"):
        regexes = RegexSet()
        regexes.add("r", pattern)
        reference = regex.compile(pattern, regex.IGNORECASE | regex.V1)
        for text in texts:
            assert regexes.hits(text) == [("r", m.start(), m.end()) for m in reference.finditer(text)], (pattern, text)


def test_the_standard_librarys_regex_parse_tree_has_the_shape_the_shortcuts_read():
    """``re._parser`` is private to CPython: this pins the parts of its tree the regex shortcuts
    read (literals, groups, alternatives, repeats), so an interpreter that changes them fails
    here instead of silently losing the shortcuts."""
    from workbench.autocode.anchors import parse_tree
    tree = parse_tree(r"\bab(c|de)x+(?:fg)?")
    ops = [str(op) for op, _ in tree]
    assert ops == ["AT", "LITERAL", "LITERAL", "SUBPATTERN", "MAX_REPEAT", "MAX_REPEAT"]
    assert [chr(arg) for op, arg in tree if str(op) == "LITERAL"] == ["a", "b"]
    branch = tree[3][1][-1]                           # the group's items: one BRANCH of two
    assert str(branch[0][0]) == "BRANCH" and len(branch[0][1][1]) == 2
    low, high, items = tree[4][1]
    assert (low, str(items[0][0]), chr(items[0][1])) == (1, "LITERAL", "x")
    assert required_literals(r"\bassociation\b[^.!?]{0,80}\b(shared|split)\b") == [("association",), ("hared", "plit")]
    assert leading_texts(r"(shared|split)") == ("shared", "split")
