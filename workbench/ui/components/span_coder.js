// Select-and-code: renders turns of a transcript with coded highlights, reports the
// user's selection in per-turn UTF-16 offsets, clicks on highlights, and clicks on times.
// Text goes into text nodes only (never innerHTML): transcripts are untrusted.

function bands(colours) {
  // One horizontal band per covering code, so overlaps stay visible.
  if (colours.length === 1) return colours[0] + "55";
  const step = 100 / colours.length;
  const stops = colours.map((c, i) => `${c}66 ${i * step}% ${(i + 1) * step}%`);
  return `linear-gradient(to bottom, ${stops.join(", ")})`;
}

function renderTurn(turn, codings, setTriggerValue, media, margin) {
  const row = document.createElement("div");
  row.className = "wb-turn" + (turn.role ? " wb-role-" + turn.role : "");
  row.dataset.turn = String(turn.i);
  const meta = document.createElement("div");
  meta.className = "wb-meta";
  if (turn.who) {
    const who = document.createElement("span");
    who.className = "wb-who";
    who.textContent = turn.who;
    meta.appendChild(who);
  }
  if (turn.page) {
    const page = document.createElement("span");
    page.textContent = "page " + turn.page;
    meta.appendChild(page);
  }
  if (turn.lang) {
    const lang = document.createElement("span");
    lang.className = "wb-lang";
    lang.textContent = turn.lang;
    lang.title = "Transcribed in this language (the recording's language changes)";
    meta.appendChild(lang);
  }
  if (turn.clock) {
    const time = document.createElement("button");
    time.type = "button";
    time.className = "wb-time";
    time.textContent = (media ? "▶ " : "") + turn.clock;
    time.title = media ? "Play the recording from here" : "Time in the recording";
    time.onclick = () => setTriggerValue("play", { t: turn.t, n: Date.now() });
    meta.appendChild(time);
  }
  const body = document.createElement("div");
  body.className = "wb-text";
  body.dataset.turn = String(turn.i);
  const cuts = new Set([0, turn.len]);
  for (const m of turn.marks) { cuts.add(m[0]); cuts.add(m[1]); }
  if (turn.focus) { cuts.add(turn.focus[0]); cuts.add(turn.focus[1]); }
  const points = [...cuts].sort((a, b) => a - b);
  for (let k = 0; k + 1 < points.length; k++) {
    const a = points[k], b = points[k + 1];
    if (a === b) continue;
    const piece = turn.text.slice(a, b);          // JS strings index UTF-16 units, as the payload does
    const covering = turn.marks.filter((m) => m[0] <= a && m[1] >= b).map((m) => m[2]);
    const focused = turn.focus && turn.focus[0] <= a && turn.focus[1] >= b;
    if (!covering.length && !focused) { body.appendChild(document.createTextNode(piece)); continue; }
    const span = document.createElement("span");
    span.textContent = piece;
    if (covering.length) {
      span.className = "wb-mark";
      span.style.background = bands(covering.map((id) => codings[id].color));
      span.title = covering.map((id) => codings[id].label).join("\n");
      span.dataset.codings = covering.join(",");
    }
    if (focused) span.classList.add("wb-focus");
    body.appendChild(span);
  }
  row.append(meta, body);
  if (margin) row.appendChild(renderMargin(turn, codings, setTriggerValue));
  return row;
}

function renderMargin(turn, codings, setTriggerValue) {
  // The coding margin: each coding in this turn as its code's name on a stripe of its colour.
  const side = document.createElement("div");
  side.className = "wb-margin";
  for (const [id, goesOn] of turn.margin) {
    const c = codings[id];
    const chip = document.createElement("button");
    chip.type = "button";
    chip.className = "wb-chip";
    chip.style.borderLeftColor = c.color;
    chip.style.background = c.color + "1f";
    chip.textContent = (goesOn ? "↳ " : "") + c.name;
    chip.title = c.label + (goesOn ? "\n(begins in an earlier turn)" : "");
    chip.onclick = () => setTriggerValue("clicked", { ids: [Number(id)], n: Date.now() });
    side.appendChild(chip);
  }
  return side;
}

function offsetIn(body, node, offset) {
  const range = document.createRange();
  range.selectNodeContents(body);
  range.setEnd(node, offset);
  return range.toString().length;                 // UTF-16 units
}

function endpoint(root, node, offset, isStart) {
  const el = node.nodeType === Node.ELEMENT_NODE ? node : node.parentElement;
  const turn = el && el.closest(".wb-turn");
  if (!turn || !root.contains(turn)) return null;
  const body = turn.querySelector(".wb-text");
  if (body.contains(node)) return { turn: Number(turn.dataset.turn), off: offsetIn(body, node, offset) };
  if (isStart) return { turn: Number(turn.dataset.turn), off: 0 };
  const prev = turn.previousElementSibling;         // an end in the speaker column closes the turn before
  if (!prev) return { turn: Number(turn.dataset.turn), off: 0 };
  const prevBody = prev.querySelector(".wb-text");
  return { turn: Number(prev.dataset.turn), off: prevBody.textContent.length };
}

export default function (component) {
  const { data, parentElement, setStateValue, setTriggerValue } = component;
  let root = parentElement.querySelector(".wb-coder");
  if (!root) {
    root = document.createElement("div");
    root.className = "wb-coder";
    parentElement.appendChild(root);
  }
  // Same data as drawn: keep the DOM, or the user's live selection would be destroyed.
  if (root.dataset.sig === data.sig) return;
  root.dataset.sig = data.sig;
  root.classList.toggle("wb-with-margin", !!data.margin);
  if (window.CSS && CSS.highlights) CSS.highlights.delete("wb-pending");
  const rows = data.turns.map((t) => renderTurn(t, data.codings, setTriggerValue, data.media, !!data.margin));
  root.replaceChildren(...rows);
  if (!data.turns.length) {
    const empty = document.createElement("p");
    empty.textContent = "This source has no text.";
    root.appendChild(empty);
  }
  const focus = root.querySelector(".wb-focus");
  if (focus) focus.scrollIntoView({ block: "center" });

  root.onmouseup = () => {
    const sel = window.getSelection();
    if (!sel || sel.isCollapsed || sel.rangeCount === 0) return;
    const range = sel.getRangeAt(0);
    if (!root.contains(range.commonAncestorContainer)) return;
    const a = endpoint(root, range.startContainer, range.startOffset, true);
    const b = endpoint(root, range.endContainer, range.endOffset, false);
    if (!a || !b || (a.turn === b.turn && a.off === b.off)) return;
    if (window.CSS && CSS.highlights && window.Highlight) {
      CSS.highlights.set("wb-pending", new Highlight(range.cloneRange()));
    }
    setStateValue("selection", {
      turn_start: a.turn, off_start: a.off, turn_end: b.turn, off_end: b.off,
      text: sel.toString().slice(0, 2000), n: Date.now(),
    });
  };
  root.onclick = (ev) => {
    const sel = window.getSelection();
    if (sel && !sel.isCollapsed) return;
    const mark = ev.target.closest && ev.target.closest(".wb-mark");
    if (mark) setTriggerValue("clicked", { ids: mark.dataset.codings.split(",").map(Number), n: Date.now() });
  };
}
