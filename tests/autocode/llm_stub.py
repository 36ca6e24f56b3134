"""An OpenAI-compatible chat server whose answers a test chooses by model name, run as its own
process: the faults a real endpoint can have (garbage, hostile items, errors, slowness, a server
that takes only llama-cpp-python's form of structured output), on a real socket.

Run: python -m tests.autocode.llm_stub PORT
"""
from __future__ import annotations

import json
import re
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def _turn_and_codes(messages: list[dict]) -> tuple[str, list[str]]:
    user = messages[-1]["content"]
    turn = re.search(r"<<<\n(.*)\n>>>", user, re.DOTALL).group(1)
    codes = re.findall(r"^- (.+)$", user, re.MULTILINE)
    return turn, codes


def answer(model: str, messages: list[dict]) -> str:
    turn, codes = _turn_and_codes(messages)
    words = " ".join(turn.split()[:6])
    if model == "garbage":
        return "Sure! Here are the codes: Foreign firms, maybe."
    if model == "hostile":
        return json.dumps({"codings": [
            {"code": "Invented code", "quote": words, "rationale": "made up"},
            {"code": codes[0], "quote": "words that are nowhere in the turn", "rationale": "hallucinated"},
            {"code": codes[0], "quote": words, "start": 0, "end": len(turn) + 500, "rationale": "too far"},
            "not an object",
            {"code": codes[-1].split(" › ")[-1], "quote": words.upper(), "rationale": "a fair point"}]})
    return json.dumps({"codings": [{"code": codes[0], "quote": words, "rationale": f"it says {words}"}]})


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def _send(self, status: int, body: dict | str) -> None:
        data = (body if isinstance(body, str) else json.dumps(body)).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        self._send(200, {"object": "list", "data": [{"id": "stub"}]})

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        model = body["model"]
        fmt = (body.get("response_format") or {}).get("type")
        if model == "error":
            return self._send(500, {"error": {"message": "model crashed"}})
        if model == "slow":
            time.sleep(5)
        if model == "notopenai":
            return self._send(200, {"result": "ok"})
        if model == "strict" and fmt != "json_object":      # llama-cpp-python's server knows only json_object
            return self._send(422, {"detail": "response_format.type: unexpected value"})
        if model == "strict" and "schema" not in body["response_format"]:
            return self._send(400, {"error": "no schema"})
        content = answer(model, body["messages"])
        self._send(200, {"id": "x", "object": "chat.completion", "model": model,
                         "choices": [{"index": 0, "message": {"role": "assistant", "content": content},
                                      "finish_reason": "stop"}]})


if __name__ == "__main__":
    ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
