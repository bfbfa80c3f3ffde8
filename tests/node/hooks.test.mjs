// registerOnSpanStartHook / registerOnSpanEndHook: called with the live span on the JS thread;
// an end hook can still change what is exported (redaction); a throwing hook is skipped.
import assert from "node:assert/strict";
import { test } from "node:test";

import { attr, mlflow, oneTrace, span } from "./helpers.mjs";

const { trace, withSpan, startSpan, registerOnSpanStartHook, registerOnSpanEndHook } = mlflow;

/** Registers hooks for the duration of `fn`. */
async function withHooks(hooks, fn) {
  const offs = hooks.map(([kind, h]) => (kind === "start" ? registerOnSpanStartHook(h) : registerOnSpanEndHook(h)));
  try {
    return await fn();
  } finally {
    for (const off of offs) off();
  }
}

const EMAIL = /[\w.]+@[\w.]+/g;
const redact = (v) => JSON.parse(JSON.stringify(v).replace(EMAIL, "<email>"));

test("hooks see every span, in order, with the live span; end hooks redact before export", async () => {
  const events = [];
  const lookup = trace(function lookup(email) {
    return { user: email, plan: "pro" };
  });
  const agent = trace(async function agent(question) {
    const span = mlflow.getCurrentActiveSpan();
    const child = startSpan({ name: "manual", inputs: "contact bob@example.com" });
    child.end({ outputs: "ok" });
    return { answer: `wrote to ${lookup("ann@example.com").user}`, span: span.name };
  });
  const { trace: t, result } = await withHooks(
    [
      ["start", (s) => events.push(`start ${s.name} inputs=${JSON.stringify(s.inputs)}`)],
      ["start", (s) => s.setAttribute("tenant", "acme")],
      [
        "end",
        (s) => {
          // After outputs and status, before the end: status already reads OK, no end time yet.
          events.push(`end ${s.name} status=${s.status.statusCode} ended=${s.endTimeNs !== null}`);
          s.setInputs(redact(s.inputs));
          if (s.outputs !== undefined) s.setOutputs(redact(s.outputs));
          s.setAttribute("redacted", true);
        },
      ],
    ],
    () => oneTrace(() => agent("mail ann@example.com")),
  );
  // The caller still gets the real value: only what is exported is redacted.
  assert.equal(result.answer, "wrote to ann@example.com");
  assert.deepEqual(events, [
    'start agent inputs={"question":"mail ann@example.com"}',
    'start manual inputs="contact bob@example.com"',
    "end manual status=OK ended=false",
    'start lookup inputs={"email":"ann@example.com"}',
    "end lookup status=OK ended=false",
    "end agent status=OK ended=false",
  ]);
  for (const s of t.data.spans) {
    assert.equal(attr(s, "tenant"), "acme", s.name);
    assert.equal(attr(s, "redacted"), true, s.name);
    assert.doesNotMatch(JSON.stringify(s.attributes), /@example\.com/, s.name);
  }
  assert.deepEqual(attr(span(t, "agent"), "mlflow.spanInputs"), { question: "mail <email>" });
  assert.deepEqual(attr(span(t, "lookup"), "mlflow.spanOutputs"), { user: "<email>", plan: "pro" });
  assert.equal(attr(span(t, "manual"), "mlflow.spanInputs"), "contact <email>");
});

test("an end hook sees a recorded error and can change the status; hooks run once per span", async () => {
  let calls = 0;
  const { trace: t } = await withHooks(
    [
      [
        "end",
        (s) => {
          calls++;
          assert.equal(s.status.statusCode, "ERROR");
          assert.equal(s.events[0].name, "exception");
          s.setAttribute("seen_error", s.status.description);
          s.end(); // re-entrant end from a hook: ignored, no second hook call
        },
      ],
    ],
    () =>
      oneTrace(() =>
        assert.throws(
          () =>
            withSpan(() => {
              throw new Error("boom");
            }, { name: "failing" }),
          /boom/,
        ),
      ),
  );
  assert.equal(calls, 1);
  const s = t.data.spans[0];
  assert.equal(s.status.code, "STATUS_CODE_ERROR");
  assert.equal(attr(s, "seen_error"), "Error: boom");
});

test("a throwing hook is reported once, the others still run, the traced call is unaffected", async () => {
  const seen = [];
  const orig = console.warn;
  console.warn = (...a) => seen.push(a.join(" "));
  let after = 0;
  try {
    const { trace: t, result } = await withHooks(
      [
        [
          "start",
          () => {
            throw new Error("start hook bug");
          },
        ],
        [
          "end",
          () => {
            throw new Error("end hook bug");
          },
        ],
        ["end", () => after++],
      ],
      () =>
        oneTrace(() =>
          withSpan(() => {
            withSpan(() => 1, { name: "c1" });
            withSpan(() => 2, { name: "c2" });
            return "fine";
          }, { name: "root" }),
        ),
    );
    assert.equal(result, "fine");
    assert.equal(t.data.spans.length, 3);
  } finally {
    console.warn = orig;
  }
  assert.equal(after, 3);
  assert.equal(seen.length, 2, seen.join("\n"));
  assert.match(seen[0], /span start hook threw/);
  assert.match(seen[1], /span end hook threw/);
});

test("unregistering stops a hook; hooks must be functions", async () => {
  let n = 0;
  const off = registerOnSpanEndHook(() => n++);
  await oneTrace(() => withSpan(() => 1));
  off();
  off(); // twice: harmless
  await oneTrace(() => withSpan(() => 1));
  assert.equal(n, 1);
  assert.throws(() => registerOnSpanStartHook("nope"), TypeError);
  assert.throws(() => registerOnSpanEndHook(undefined), TypeError);
});

test("stream spans run the end hook when the iteration ends", async () => {
  const ends = [];
  const gen = trace(function* gen() {
    yield "a@b.co";
    yield "x";
  });
  const { trace: t } = await withHooks(
    [
      [
        "end",
        (s) => {
          ends.push(s.name);
          s.setOutputs(redact(s.outputs));
        },
      ],
    ],
    () => oneTrace(() => [...gen()]),
  );
  assert.deepEqual(ends, ["gen"]);
  assert.deepEqual(attr(t.data.spans[0], "mlflow.spanOutputs"), ["<email>", "x"]);
});
