"""The LLM suggester: any OpenAI-compatible chat endpoint (Ollama, llama.cpp's server, vLLM, a
cloud key), only when the user configured one - nothing leaves the machine otherwise.

For each turn and codebook the model gets the codebook (names, definitions, when to use and not)
and the turn with the question before it, and must answer JSON ``{"codings": [{"code", "quote",
"rationale"}]}``. The answer is checked item by item: an answer that is not JSON is refused
whole; an item naming an unknown code, quoting words that are not in the turn, or giving offsets
outside it is refused alone, and every refusal is reported. Each accepted item keeps the model,
the endpoint, the prompt version and the model's rationale (journals ask for them); accepting the
suggestion copies them to the coding.
"""
from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

from workbench.autocode.signals import CodeTexts
from workbench.config import LLMSettings
from workbench.errors import SuggesterUnavailable

PROMPT_VERSION = "turn-codebook-1"
MAX_ITEMS = 20                    # per answer: more is a model that lost its way
RESPONSE_SCHEMA = {
    "type": "object",
    "properties": {"codings": {"type": "array", "maxItems": MAX_ITEMS, "items": {
        "type": "object",
        "properties": {"code": {"type": "string"}, "quote": {"type": "string"}, "rationale": {"type": "string"}},
        "required": ["code", "quote", "rationale"]}}},
    "required": ["codings"],
}

SYSTEM = ("You are a careful qualitative researcher applying a deductive codebook to one turn of a research "
          "interview. Give a code only when the turn's content clearly fits its definition and when-to-use note and "
          "not its when-not-to-use note; most turns get no code or one. For each code quote the exact words of the "
          "turn that show it (copied verbatim, a few words to a sentence) and say why in one sentence. Use only code "
          "names from the codebook. Answer with JSON only, in this form: "
          '{"codings": [{"code": "<code name>", "quote": "<exact words>", "rationale": "<why>"}]}'
          ' - and {"codings": []} when nothing fits.')


@dataclass
class Item:
    """One accepted coding of an answer: the code, where its quote lies in the turn, and why."""
    code: CodeTexts
    start: int
    end: int
    quote: str
    rationale: str


@dataclass
class Checked:
    items: list[Item] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)


def codebook_prompt(codes: list[CodeTexts], turn: str, question: str | None) -> list[dict]:
    """The chat messages for one turn and one codebook (:data:`PROMPT_VERSION`)."""
    lines = []
    for c in codes:
        texts = dict(zip(c.kinds, c.positive))
        lines.append(f"- {c.path}")
        for label, key in (("definition", "definition"), ("when to use", "when to use")):
            if texts.get(key):
                lines.append(f"    {label}: {texts[key]}")
        if c.negative:
            lines.append(f"    when not to use: {c.negative[0]}")
    asked = f"The interviewer asked:\n{question.strip()}\n\n" if question and question.strip() else ""
    user = ("Codebook:\n" + "\n".join(lines) + f"\n\n{asked}The turn to code:\n<<<\n{turn}\n>>>")
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": user}]


def _find(quote: str, text: str) -> tuple[int, int] | None:
    """Where ``quote`` lies in ``text``: exactly, else ignoring case and runs of white space."""
    at = text.find(quote)
    if at >= 0:
        return at, at + len(quote)
    words = quote.split()
    if not words:
        return None
    pattern = r"\s+".join(re.escape(w) for w in words)
    m = re.search(pattern, text, re.IGNORECASE)
    return (m.start(), m.end()) if m else None


def check_answer(content: str, codes: list[CodeTexts], turn: str) -> Checked:
    """The model's answer, item by item: what is accepted and what is refused (and why)."""
    out = Checked()
    text = (content or "").strip()
    fenced = re.fullmatch(r"```(?:json)?\s*(.*?)\s*```", text, re.DOTALL)    # some models fence their JSON
    try:
        data = json.loads(fenced.group(1) if fenced else text)
    except ValueError as exc:
        out.refused.append(f"the answer is not JSON ({exc.msg} at character {exc.pos}): {text[:120]!r}")
        return out
    if not isinstance(data, dict) or not isinstance(data.get("codings"), list):
        out.refused.append(f"the answer is not an object with a list 'codings': {text[:120]!r}")
        return out
    by_name: dict[str, CodeTexts] = {}
    for c in codes:
        by_name.setdefault(c.path.casefold(), c)
        by_name.setdefault(c.name.casefold(), c)
    seen = set()
    for n, item in enumerate(data["codings"][:MAX_ITEMS], 1):
        if not isinstance(item, dict):
            out.refused.append(f"item {n} is not an object: {str(item)[:80]!r}")
            continue
        name = str(item.get("code") or "").strip()
        code = by_name.get(name.casefold()) or by_name.get(name.split("›")[-1].split("/")[-1].strip().casefold())
        if code is None:
            out.refused.append(f"item {n} names a code that is not in the codebook: {name[:80]!r}")
            continue
        span = None
        if "start" in item or "end" in item:
            try:
                a, b = int(item.get("start")), int(item.get("end"))
            except (TypeError, ValueError):
                out.refused.append(f"item {n} ({code.name}) has offsets that are not numbers")
                continue
            if not 0 <= a < b <= len(turn):
                out.refused.append(f"item {n} ({code.name}) has a span {a}-{b} outside the turn (0-{len(turn)})")
                continue
            span = (a, b)
        quote = str(item.get("quote") or "").strip()
        if span is None:
            span = _find(quote, turn) if quote else None
            if span is None:
                out.refused.append(f"item {n} ({code.name}) quotes words that are not in the turn: {quote[:80]!r}")
                continue
        if code.code_id in seen:
            continue
        seen.add(code.code_id)
        rationale = item.get("rationale")
        out.items.append(Item(code, span[0], span[1], turn[span[0]:span[1]],
                              rationale.strip()[:1000] if isinstance(rationale, str) else ""))
    if len(data["codings"]) > MAX_ITEMS:
        out.refused.append(f"{len(data['codings']) - MAX_ITEMS} items past the first {MAX_ITEMS} were ignored")
    return out


class Client:
    """A chat-completions client for one endpoint. Structured output is asked for as a JSON schema
    (OpenAI, vLLM, Ollama); a server that does not take that form (llama-cpp-python's) gets the
    schema in its own ``json_object`` form, decided once on the first answer."""

    def __init__(self, settings: LLMSettings, transport: httpx.BaseTransport | None = None):
        self.settings = settings
        self.url = settings.url.rstrip("/")
        headers = {"Authorization": f"Bearer {settings.api_key}"} if settings.api_key else {}
        self.http = httpx.Client(timeout=httpx.Timeout(settings.timeout, connect=10.0), headers=headers,
                                 transport=transport)
        self.format = "json_schema"

    def close(self) -> None:
        self.http.close()

    def _post(self, body: dict) -> httpx.Response:
        where = f"{self.url}/chat/completions"
        try:
            return self.http.post(where, json=body)
        except httpx.TimeoutException as exc:
            raise SuggesterUnavailable(f"the LLM endpoint {self.url} gave no answer within "
                                       f"{self.settings.timeout:g} s ({type(exc).__name__})") from exc
        except httpx.HTTPError as exc:
            raise SuggesterUnavailable(f"the LLM endpoint {self.url} cannot be reached: {exc}") from exc

    def chat(self, messages: list[dict]) -> str:
        """The model's answer text; SuggesterUnavailable when the endpoint fails."""
        body = {"model": self.settings.model, "messages": messages, "temperature": 0, "max_tokens": 800}
        for attempt in range(2):
            if self.format == "json_schema":
                body["response_format"] = {"type": "json_schema", "json_schema": {
                    "name": "codings", "schema": RESPONSE_SCHEMA}}
            else:
                body["response_format"] = {"type": "json_object", "schema": RESPONSE_SCHEMA}
            reply = self._post(body)
            # A server that does not know the json_schema form says so about response_format
            # (422 from FastAPI validation, 400, or llama-cpp-python's 500 quoting the validation error).
            if (attempt == 0 and self.format == "json_schema" and reply.status_code >= 400
                    and ("response_format" in reply.text or "json_schema" in reply.text
                         or reply.status_code in (400, 422))):
                self.format = "json_object"
                continue
            break
        if reply.status_code != 200:
            raise SuggesterUnavailable(f"the LLM endpoint {self.url} answered HTTP {reply.status_code}: "
                                       f"{reply.text[:200]}")
        try:
            return reply.json()["choices"][0]["message"]["content"] or ""
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            raise SuggesterUnavailable(f"the LLM endpoint {self.url} did not answer like an OpenAI-compatible "
                                       f"server: {reply.text[:200]!r}") from exc


def provenance(settings: LLMSettings, rationale: str, quote: str) -> dict:
    """What a suggestion (and the coding accepting it makes) keeps about the model behind it."""
    return {"suggester": "llm", "model": settings.model, "endpoint": settings.url, "prompt_version": PROMPT_VERSION,
            "rationale": rationale, "quote": quote}


@dataclass
class TurnToCode:
    row: int
    text: str
    question: str | None
    where: str = ""                  # "source, offset N": where a refusal came from


def propose(settings: LLMSettings, books: dict[int, list[CodeTexts]], turns: list[TurnToCode], *,
            client: Client | None = None, progress: Callable[[float], None] | None = None
            ) -> tuple[list[tuple[int, Item]], list[str]]:
    """(row, item) for every accepted coding, and every refusal with the turn it came from.
    SuggesterUnavailable (nothing proposed) when the endpoint fails."""
    if not settings.configured:
        raise SuggesterUnavailable("no LLM endpoint is configured (Settings, or WORKBENCH_LLM_URL and "
                                   "WORKBENCH_LLM_MODEL)")
    own = client is None
    client = client or Client(settings)
    accepted, refused = [], []
    total = max(len(turns) * len(books), 1)
    done = 0
    try:
        for turn in turns:
            for codes in books.values():
                checked = check_answer(client.chat(codebook_prompt(codes, turn.text, turn.question)), codes, turn.text)
                accepted += [(turn.row, item) for item in checked.items]
                refused += [f"{turn.where or f'turn {turn.row}'}: {why}" for why in checked.refused]
                done += 1
                if progress:
                    progress(done / total)
    finally:
        if own:
            client.close()
    return accepted, refused
