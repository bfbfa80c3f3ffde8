// ferrotrace ui: the trace list (#/) and a trace page (#/traces/<id>). Trace data is untrusted:
// every value reaches the page through text nodes (el()), never as HTML.
"use strict";

const TOKEN = document.querySelector('meta[name="ferrotrace-token"]').content;
const app = document.getElementById("app");
const filterBox = document.getElementById("filter");
const state = { filter: "", pageTokens: [null], page: 0, poll: null, listKey: "" };

/** An element with attributes and children; strings become text nodes. */
function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") node.className = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== null) node.setAttribute(k, String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

async function api(path, options) {
  const res = await fetch(path, options);
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(body.error || `HTTP ${res.status}`);
  return body;
}

/** MLflow stores attribute values as JSON text; show the value, else the text as it is. */
function parsed(v) {
  if (typeof v !== "string") return v;
  try { return JSON.parse(v); } catch { return v; }
}

function pretty(v) {
  const p = parsed(v);
  return typeof p === "string" ? p : JSON.stringify(p, null, 2);
}

function ms(n) {
  if (n === null || n === undefined) return "";
  return n < 1000 ? `${n} ms` : `${(n / 1000).toFixed(2)} s`;
}

// ---- the list ----

async function showList() {
  const token = state.pageTokens[state.page];
  const q = new URLSearchParams({ filter: state.filter, max_results: "50" });
  if (token) q.set("page_token", token);
  let data;
  try {
    data = await api(`/api/traces?${q}`);
  } catch (e) {
    app.replaceChildren(el("p", { class: "error", id: "list-error" }, `Search failed: ${e.message}`));
    return;
  }
  const key = JSON.stringify(data);
  if (key === state.listKey && app.querySelector("#trace-list")) return; // nothing new
  state.listKey = key;
  state.pageTokens[state.page + 1] = data.next_page_token;
  const rows = data.traces.map((t) => el("tr", { class: "trace-row", "data-trace-id": t.trace_id, onclick: () => { location.hash = `#/traces/${encodeURIComponent(t.trace_id)}`; } },
    el("td", {}, el("a", { href: `#/traces/${encodeURIComponent(t.trace_id)}` }, t.name || "(unnamed)"), el("div", { class: "muted" }, t.trace_id)),
    el("td", { class: `state-${t.state}` }, t.state),
    el("td", {}, (t.request_time || "").replace("T", " ").replace("Z", "")),
    el("td", {}, ms(t.duration_ms)),
    el("td", {}, t.spans),
    el("td", {}, t.tokens ?? ""),
    el("td", {}, Object.entries(t.tags).map(([k, v]) => el("span", { class: "tag" }, `${k}=${v}`))),
    el("td", {}, t.feedback.map((f) => el("span", { class: "tag" }, `${f.name}: ${JSON.stringify(f.value)}`))),
  ));
  app.replaceChildren(
    el("table", { id: "trace-list" },
      el("thead", {}, el("tr", {}, ["Name", "State", "Start (UTC)", "Duration", "Spans", "Tokens", "Tags", "Feedback"].map((h) => el("th", {}, h)))),
      el("tbody", {}, rows)),
    rows.length ? "" : el("p", { class: "muted" }, "No traces."),
    el("div", { class: "pager" },
      el("button", { id: "prev", disabled: state.page === 0 ? "" : null, onclick: () => { state.page--; state.listKey = ""; showList(); } }, "Previous"),
      el("span", { class: "muted" }, `page ${state.page + 1} · ${data.total} traces`),
      el("button", { id: "next", disabled: data.next_page_token ? null : "", onclick: () => { state.page++; state.listKey = ""; showList(); } }, "Next")),
  );
}

// ---- a trace ----

function spanTree(spans) {
  const byParent = new Map();
  for (const s of spans) {
    const p = s.parent_span_id || null;
    if (!byParent.has(p)) byParent.set(p, []);
    byParent.get(p).push(s);
  }
  const ids = new Set(spans.map((s) => s.span_id));
  const out = [];
  const walk = (s, depth) => {
    out.push([s, depth]);
    for (const c of (byParent.get(s.span_id) || []).sort((a, b) => a.start_time_unix_nano - b.start_time_unix_nano)) walk(c, depth + 1);
  };
  // Roots: no parent, or a parent not in this trace (a remote caller's span).
  for (const s of spans.filter((s) => !s.parent_span_id || !ids.has(s.parent_span_id)).sort((a, b) => a.start_time_unix_nano - b.start_time_unix_nano)) walk(s, 0);
  return out;
}

function messagesOf(value) {
  const v = parsed(value);
  const list = Array.isArray(v?.messages) ? v.messages : Array.isArray(v?.choices) ? v.choices.map((c) => c.message).filter(Boolean) : null;
  return list && list.every((m) => m && typeof m === "object" && "role" in m) ? list : null;
}

function chat(messages) {
  return el("div", { class: "chat" }, messages.map((m) => el("div", { class: `msg msg-${m.role}` },
    el("span", { class: "role" }, m.role),
    typeof m.content === "string" ? m.content : JSON.stringify(m.content ?? m.tool_calls ?? null, null, 2))));
}

function spanDetails(span) {
  const attrs = { ...span.attributes };
  const inputs = attrs["mlflow.spanInputs"];
  const outputs = attrs["mlflow.spanOutputs"];
  delete attrs["mlflow.spanInputs"];
  delete attrs["mlflow.spanOutputs"];
  const conversation = [...(messagesOf(inputs) || []), ...(messagesOf(outputs) || [])];
  const exceptions = span.events.filter((e) => e.name === "exception");
  return el("div", { class: "details", id: "span-details" },
    el("h2", {}, span.name),
    el("div", { class: "muted" }, `${parsed(span.attributes["mlflow.spanType"]) || "UNKNOWN"} · ${span.status.code.replace("STATUS_CODE_", "")}${span.status.message ? `: ${span.status.message}` : ""} · ${ms(Math.round(((span.end_time_unix_nano || span.start_time_unix_nano) - span.start_time_unix_nano) / 1e6))}`),
    conversation.length ? [el("h2", {}, "Conversation"), chat(conversation)] : null,
    el("h2", {}, "Inputs"), el("pre", { id: "span-inputs" }, inputs === undefined ? "" : pretty(inputs)),
    el("h2", {}, "Outputs"), el("pre", { id: "span-outputs" }, outputs === undefined ? "" : pretty(outputs)),
    exceptions.length ? [el("h2", {}, "Exceptions"), exceptions.map((e) => el("pre", { class: "error" }, pretty(e.attributes["exception.message"]), "\n", pretty(e.attributes["exception.stacktrace"] ?? "")))] : null,
    el("h2", {}, "Attributes"), el("pre", {}, JSON.stringify(Object.fromEntries(Object.entries(attrs).map(([k, v]) => [k, parsed(v)])), null, 2)),
    span.events.length ? [el("h2", {}, "Events"), el("pre", {}, JSON.stringify(span.events, null, 2))] : null,
  );
}

function assessmentsView(trace) {
  const items = trace.info.assessments || [];
  return el("section", { id: "assessments" },
    el("h2", {}, "Assessments"),
    items.length === 0 ? el("p", { class: "muted" }, "None yet.") : el("ul", {}, items.map((a) => el("li", { class: "assessment" },
      `${a.assessment_name}: ${JSON.stringify(a.feedback ? a.feedback.value : a.expectation?.value)}`,
      el("span", { class: "muted" }, ` (${a.source?.source_type}${a.source?.source_id ? `/${a.source.source_id}` : ""})`),
      a.rationale ? el("div", { class: "muted" }, a.rationale) : null))),
    el("form", { class: "feedback-form", id: "feedback-form" },
      el("button", { type: "button", id: "thumbs-up", onclick: () => sendFeedback(trace.info.trace_id, true) }, "Thumbs up"),
      el("button", { type: "button", id: "thumbs-down", onclick: () => sendFeedback(trace.info.trace_id, false) }, "Thumbs down"),
      el("input", { id: "feedback-comment", placeholder: "Comment (optional)", maxlength: "2000" })),
    el("p", { id: "feedback-status", class: "muted" }));
}

async function sendFeedback(traceId, value) {
  const status = document.getElementById("feedback-status");
  const comment = document.getElementById("feedback-comment").value;
  try {
    await api(`/api/traces/${encodeURIComponent(traceId)}/feedback`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-ferrotrace-token": TOKEN },
      body: JSON.stringify({ value, comment: comment || null }),
    });
    status.textContent = "Feedback recorded.";
    await showTrace(traceId);
  } catch (e) {
    status.textContent = `Feedback failed: ${e.message}`;
  }
}

async function showTrace(traceId) {
  let trace;
  try {
    trace = await api(`/api/traces/${encodeURIComponent(traceId)}`);
  } catch (e) {
    app.replaceChildren(el("p", { class: "error" }, e.message), el("a", { href: "#/" }, "Back to the list"));
    return;
  }
  const spans = trace.data.spans;
  const t0 = Math.min(...spans.map((s) => s.start_time_unix_nano));
  const t1 = Math.max(...spans.map((s) => s.end_time_unix_nano || s.start_time_unix_nano));
  const total = Math.max(t1 - t0, 1);
  const details = el("div", { id: "details-pane" });
  const rows = spanTree(spans).map(([s, depth]) => {
    const end = s.end_time_unix_nano || s.start_time_unix_nano;
    const bar = el("div", { class: `bar${s.status.code === "STATUS_CODE_ERROR" ? " error" : ""}` });
    bar.style.left = `${((s.start_time_unix_nano - t0) / total) * 100}%`;
    bar.style.width = `${((end - s.start_time_unix_nano) / total) * 100}%`;
    const label = el("div", { class: "span-name" },
      el("span", { class: "span-type" }, parsed(s.attributes["mlflow.spanType"]) || "UNKNOWN"), s.name);
    label.style.paddingLeft = `${depth * 14}px`;
    const row = el("div", { class: "span-row", "data-span-id": s.span_id, title: `${s.name} · ${ms(Math.round((end - s.start_time_unix_nano) / 1e6))}` },
      label, el("div", { class: "bar-track" }, bar));
    row.addEventListener("click", () => {
      for (const r of document.querySelectorAll(".span-row.selected")) r.classList.remove("selected");
      row.classList.add("selected");
      details.replaceChildren(spanDetails(s));
    });
    return row;
  });
  const usage = parsed(trace.info.trace_metadata?.["mlflow.trace.tokenUsage"]);
  app.replaceChildren(
    el("div", { class: "trace-head" },
      el("a", { href: "#/" }, "← All traces"),
      el("h1", { id: "trace-title" }, trace.info.tags?.["mlflow.traceName"] || spans[0]?.name || trace.info.trace_id),
      el("div", { class: "muted" }, `${trace.info.trace_id} · ${trace.info.state} · ${trace.info.request_time} · ${ms(trace.info.execution_duration_ms)} · ${spans.length} spans`,
        usage && typeof usage === "object" ? ` · tokens: ${usage.input_tokens ?? "?"} in, ${usage.output_tokens ?? "?"} out, ${usage.total_tokens ?? "?"} total` : "")),
    el("div", { class: "split" }, el("div", { class: "waterfall", id: "waterfall" }, rows), details),
    assessmentsView(trace),
  );
  rows[0]?.click();
}

// ---- routing ----

function route() {
  clearInterval(state.poll);
  const m = /^#\/traces\/(.+)$/.exec(location.hash);
  if (m) {
    showTrace(decodeURIComponent(m[1]));
  } else {
    state.listKey = "";
    showList();
    // New traces appear while the list is open.
    state.poll = setInterval(() => { if (!document.hidden) showList(); }, 2000);
  }
}

document.getElementById("search").addEventListener("submit", (e) => {
  e.preventDefault();
  state.filter = filterBox.value.trim();
  state.page = 0;
  state.pageTokens = [null];
  if (location.hash && location.hash !== "#/") location.hash = "#/";
  else route();
});
window.addEventListener("hashchange", route);
route();
