// A damaged local store costs only its damaged records: the reader skips a record whose header
// claims usize::MAX bytes (and any other torn record) with a warning, and never throws.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { test } from "node:test";

import { mlflow } from "./helpers.mjs";

const { trace } = mlflow;

test("a record header claiming usize::MAX bytes is skipped with a warning, not thrown", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ferrotrace-damage-"));
  try {
    mlflow.configure({ destination: "local", localDir: dir });
    const f = trace(function kept(x) { return x * 2; });
    f(1);
    assert.equal(await mlflow.flushTraces(), true);
    // Oldest by name, so it is read first: a lying header, then bytes of a torn record.
    fs.writeFileSync(
      path.join(dir, "0000000000001-1-0001.ftseg"),
      "FT1 18446744073709551615 00000000 {}\nFT1 5 0000",
    );
    const { traces, warnings } = mlflow.testing.readLocalStore(dir);
    assert.equal(traces.length, 1);
    assert.equal(traces[0].data.spans[0].name, "kept");
    assert.equal(warnings.length, 2, JSON.stringify(warnings));
    assert.match(warnings[0], /damaged record/);
  } finally {
    mlflow.configure({ destination: "memory" });
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
