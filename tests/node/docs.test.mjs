// Every TypeScript and JavaScript snippet in README.md and docs/*.md is a whole program: each is
// type-checked (tsc --strict, against the package's own declarations) and run in a fresh node
// process from an empty folder, against the real MLflow server when it names
// http://127.0.0.1:5000. A block just after `<!-- no-run: reason -->` or `<!-- fragment -->` is
// left out (a piece of a larger program).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { describe, test } from "node:test";

import { PKG, REPO } from "./helpers.mjs";
import { fakeLlm } from "./llm_support.mjs";
import { childEnv, IMPORT, mlflowServer, run, skip, tmp } from "./mlflow_support.mjs";

const PLACEHOLDER = "http://127.0.0.1:5000";
const FENCE = /(<!--\s*(?:no-run|fragment)[^>]*-->\s*\n)?```(\w+)\n([\s\S]*?)\n```/g;
const ts = createRequire(path.join(PKG, "package.json"))("typescript");

function snippets() {
  const files = [path.join(REPO, "README.md"), ...fs.readdirSync(path.join(REPO, "docs")).filter((f) => f.endsWith(".md")).sort().map((f) => path.join(REPO, "docs", f))];
  const found = [];
  for (const file of files) {
    const text = fs.readFileSync(file, "utf8");
    for (const m of text.matchAll(FENCE)) {
      const [, skipped, lang, body] = m;
      if ((lang === "ts" || lang === "js") && !skipped) {
        found.push({ where: `${path.relative(REPO, file)}:${text.slice(0, m.index).split("\n").length}`, lang, body });
      }
    }
  }
  return found;
}

const SNIPPETS = snippets();

test("the docs have TypeScript snippets", () => {
  assert.ok(SNIPPETS.length >= 3, JSON.stringify(SNIPPETS.map((s) => s.where)));
});

test("every TypeScript snippet type-checks under tsc --strict", () => {
  // Inside the package folder, "ferrotrace" resolves to the package itself (its exports map).
  const dir = fs.mkdtempSync(path.join(PKG, ".docs-check-"));
  try {
    const names = SNIPPETS.filter((s) => s.lang === "ts").map((s, i) => {
      const name = path.join(dir, `snippet${i}.mts`);
      fs.writeFileSync(name, `// ${s.where}\n${s.body}\nexport {};\n`);
      return name;
    });
    const tsc = path.join(PKG, "node_modules", ".bin", "tsc");
    const r = spawnSync(tsc, ["--strict", "--noEmit", "--target", "es2022", "--module", "nodenext",
      "--moduleResolution", "nodenext", "--types", "node", "--skipLibCheck", ...names], { cwd: PKG, encoding: "utf8" });
    assert.equal(r.status, 0, r.stdout + r.stderr);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

// The LLM clients of the autolog snippets: the package's devDependencies, talking to the fake
// provider server through their base-URL environment variables.
function clientImports(code) {
  code = code.replace(/from\s+["']ferrotrace\/(openai|anthropic)["']/g,
    (_, name) => `from ${JSON.stringify(pathToFileURL(path.join(PKG, "dist", `${name}.mjs`)).href)}`);
  return code.replace(/from\s+["'](openai|@anthropic-ai\/sdk)["']/g,
    (_, name) => `from ${JSON.stringify(pathToFileURL(path.join(PKG, "node_modules", name, "index.mjs")).href)}`);
}

describe("every snippet runs", { skip }, () => {
  const uri = mlflowServer();
  const llm = fakeLlm();
  for (const s of SNIPPETS) {
    test(s.where, async () => {
      const dir = tmp("ferrotrace-docs-");
      try {
        let code = s.lang === "ts"
          ? ts.transpileModule(s.body, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText
          : s.body;
        code = clientImports(code.replaceAll(PLACEHOLDER, uri()).replace(/from\s+["']ferrotrace["']/g, `from ${IMPORT}`));
        const file = path.join(dir, "snippet.mjs");
        fs.writeFileSync(file, code);
        const env = childEnv({ FERROTRACE_SPILL_DIR: path.join(dir, "spill"), OPENAI_BASE_URL: `${llm()}/v1`,
          OPENAI_API_KEY: "test", ANTHROPIC_BASE_URL: llm(), ANTHROPIC_API_KEY: "test" });
        const r = await run(process.execPath, [file], { cwd: dir, env });
        assert.equal(r.status, 0, `${s.where}\n${r.stdout}\n${r.stderr}`);
        if (!s.body.includes(PLACEHOLDER)) {
          assert.ok(fs.existsSync(path.join(dir, "ferrotrace-traces")), `${s.where}: nothing in the local store`);
        }
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
