// `npx ferrotrace ui` in a real headless Chromium (Debian's, installed by `make test`'s setup):
// the list, search, a trace's waterfall with every span and its type, span details with a chat
// rendered as a conversation, feedback recorded from the page and found in the store, new traces
// appearing while the page is open, and hostile trace data shown as text, never run.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import { createRequire } from "node:module";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, test } from "node:test";

import { mlflow, PKG } from "./helpers.mjs";
import { childEnv, IMPORT } from "./mlflow_support.mjs";

const CHROMIUM = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].find((f) => fs.existsSync(f));
let chromium;
try {
  ({ chromium } = createRequire(path.join(PKG, "package.json"))("playwright-core"));
} catch {
  chromium = undefined;
}
const skip = !CHROMIUM ? "chromium is not installed (make test installs Debian's)" : !chromium ? "playwright-core is not installed (make node)" : false;

const HOSTILE = `<img src=x onerror="window.__pwned=1">`;

/** Writes traces to `dir` from a fresh process, as an app would. */
function writeTraces(dir, body) {
  const file = path.join(dir, "..", `app-${Math.random().toString(16).slice(2)}.mjs`);
  fs.writeFileSync(file, `import * as mlflow from ${IMPORT};\n${body}\n`);
  const r = spawnSync(process.execPath, [file], { env: childEnv({ FERROTRACE_LOCAL_DIR: dir }), encoding: "utf8", timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim();
}

describe("ferrotrace ui in a browser", { skip }, () => {
  let work, store, server, url, browser;

  before(async () => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), "ferrotrace-ui-"));
    store = path.join(work, "traces");
    writeTraces(store, `
      // As an autologged chat call records it: the request's messages, the response's choices.
      const llm = (messages) => mlflow.withSpan((span) => {
        span.setInputs({ model: "fake-model", messages });
        const out = { choices: [{ message: { role: "assistant", content: "Paris." } }] };
        span.setOutputs(out);
        return out;
      }, { name: "chat_model", spanType: mlflow.SpanType.CHAT_MODEL });
      const tool = mlflow.trace(async () => { throw new Error("tool failed"); }, { name: "lookup", spanType: mlflow.SpanType.TOOL });
      const agent = mlflow.trace(async (q) => {
        mlflow.updateCurrentTrace({ tags: { env: "prod" } });
        mlflow.getCurrentActiveSpan().setAttribute("mlflow.chat.tokenUsage", { input_tokens: 7, output_tokens: 2, total_tokens: 9 });
        try { await tool(); } catch {}
        return llm([{ role: "system", content: "Be brief." }, { role: "user", content: q }]);
      }, { name: "capital_agent", spanType: mlflow.SpanType.AGENT });
      await agent("What is the capital of France?");
      const hostile = mlflow.trace((x) => x, { name: ${JSON.stringify(HOSTILE)} });
      hostile(${JSON.stringify(HOSTILE)});
      console.log(mlflow.getLastActiveTraceId());`);
    server = spawn(process.execPath, [path.join(PKG, "scripts", "cli.js"), "ui", "--port", "0", store], { env: childEnv(), stdio: ["ignore", "pipe", "pipe"] });
    url = await new Promise((resolve, reject) => {
      let out = "";
      server.stdout.on("data", (d) => {
        out += d;
        const m = /(http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
        if (m) resolve(m[1]);
      });
      server.on("exit", (code) => reject(new Error(`ui exited ${code}: ${out}`)));
    });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"],
    });
  });

  after(async () => {
    await browser?.close();
    if (server && server.exitCode === null) {
      server.kill("SIGTERM");
      await new Promise((r) => server.on("exit", r));
    }
    fs.rmSync(work, { recursive: true, force: true });
  });

  test("list, search, a trace's waterfall and details, feedback, live updates, no script from data", async () => {
    const page = await browser.newPage();
    const dialogs = [];
    page.on("dialog", (d) => { dialogs.push(d.message()); d.dismiss(); });
    const resp = await page.goto(url);
    assert.match(resp.headers()["content-security-policy"], /default-src 'none'; script-src 'self'/);

    // The list: both traces, with their columns.
    await page.waitForSelector("#trace-list tbody tr");
    assert.equal(await page.locator("#trace-list tbody tr").count(), 2);
    const agentRow = page.locator("tr.trace-row", { hasText: "capital_agent" });
    const cells = await agentRow.locator("td").allInnerTexts();
    assert.equal(cells[1], "OK");
    assert.equal(cells[4], "3"); // spans
    assert.equal(cells[5], "9"); // tokens
    assert.match(cells[6], /env=prod/);
    // Hostile names are text: the row shows the markup, and no element or script came of it.
    assert.ok(await page.locator("tr.trace-row", { hasText: "<img src=x" }).count() === 1);
    assert.equal(await page.locator("#app img").count(), 0);

    // Search narrows the list.
    await page.fill("#filter", "capital");
    await page.click("#search button");
    await page.waitForFunction(() => document.querySelectorAll("#trace-list tbody tr").length === 1);

    // A trace: every span in the waterfall with its type; details of the chat model.
    await agentRow.click();
    await page.waitForSelector("#waterfall .span-row");
    const spans = await page.$$eval("#waterfall .span-row", (rows) => rows.map((r) =>
      [r.querySelector(".span-type").textContent, r.querySelector(".span-name").lastChild.textContent].join(" ")));
    assert.deepEqual(spans, ["AGENT capital_agent", "TOOL lookup", "CHAT_MODEL chat_model"]);
    await page.locator(".span-row", { hasText: "chat_model" }).click();
    const conversation = await page.locator("#span-details .msg").allInnerTexts();
    assert.deepEqual(conversation.map((m) => m.split("\n")[0]), ["system", "user", "assistant"]);
    assert.match(conversation.at(-1), /Paris\./);
    await page.locator(".span-row", { hasText: "lookup" }).click();
    assert.match(await page.locator("#span-details").innerText(), /tool failed/);

    // Feedback from the page is stored (source HUMAN), and shown on the trace.
    await page.fill("#feedback-comment", "right answer");
    await page.click("#thumbs-up");
    await page.waitForSelector("#assessments .assessment");
    assert.match(await page.locator("#assessments").innerText(), /HUMAN/);
    // Stored: another process reading the store with the public API finds it.
    const traceId = mlflow.testing.readLocalStore(store).traces.find((t) => t.data.spans.some((s) => s.name === "capital_agent")).info.trace_id;
    const seen = JSON.parse(writeTraces(store, `
      const t = await mlflow.getTrace(${JSON.stringify(traceId)});
      console.log(JSON.stringify(t.info.assessments.map((a) => [a.name, a.feedback?.value ?? a.value, a.source.sourceType, a.rationale])));`));
    assert.deepEqual(seen, [["user_thumbs_up", true, "HUMAN", "right answer"]]);

    // A write without the page's token, as another site's script would send it, is refused.
    const status = await page.evaluate(async (id) => (await fetch(`/api/traces/${id}/feedback`, {
      method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ value: false }),
    })).status, traceId);
    assert.equal(status, 403);

    // New traces appear in the open list.
    await page.click("a.brand");
    await page.fill("#filter", "");
    await page.click("#search button");
    await page.waitForFunction(() => document.querySelectorAll("#trace-list tbody tr").length === 2);
    writeTraces(store, `mlflow.trace(() => 1, { name: "late_arrival" })();`);
    await page.waitForSelector("tr.trace-row:has-text('late_arrival')", { timeout: 15_000 });

    assert.deepEqual(dialogs, []);
    assert.equal(await page.evaluate(() => window.__pwned), undefined);
  });
});
