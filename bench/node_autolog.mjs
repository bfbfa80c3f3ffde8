// What tracedOpenAI adds to a call of the real `openai` client, against the fake provider server
// (tests/support/fake_llm.py, in its own process, so its work is not counted here):
//
//   node bench/node_autolog.mjs     # BENCH_BLOCKS=60 pairs of BENCH_CALLS=20 calls per case
//
// Cases: a chat completion, a streamed one (read to the end, with `include_usage`), an
// embedding; and `chat_stub`, the chat completion on a stub client of the same shape that
// answers at once, which leaves only the tracing to measure. Blocks of calls alternate untraced (the client itself) / traced (its tracedOpenAI
// view, the same client underneath), so a drift of the machine hits both sides alike. The
// overhead is a traced block minus the untraced block before it (median of the pairs'
// differences), per call, in CPU time of the process (`process.cpuUsage()`: Node 20 has no
// per-thread clock, so the core's export thread is counted too), and in wall-clock time (noisy
// on a busy machine: the waits for the server are counted). Traces go to the memory
// destination, cleared between blocks, untimed. Prints one JSON line.
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

process.env.FERROTRACE_DESTINATION = "memory";
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const mlflow = await import(path.join(ROOT, "bindings-node", "dist", "index.mjs"));
const OpenAI = createRequire(path.join(ROOT, "bindings-node", "package.json"))("openai").default;

const BLOCKS = Number(process.env.BENCH_BLOCKS ?? 60);
const CALLS = Number(process.env.BENCH_CALLS ?? 20);
const MESSAGES = [{ role: "system", content: "Be brief." }, { role: "user", content: "What is six times seven?" }];

function startFake() {
  const child = spawn(path.join(ROOT, ".venv", "bin", "python"), [path.join(ROOT, "tests", "support", "fake_llm.py")], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
      if (out.includes("\n")) resolve({ url: out.trim().split("\n")[0], child });
    });
    child.on("error", reject);
    child.on("exit", (code) => reject(new Error(`fake_llm.py exited (${code})`)));
  });
}

const CASES = {
  chat: (c) => c.chat.completions.create({ model: "gpt-4o-mini", messages: MESSAGES, temperature: 0 }),
  stream: async (c) => {
    const s = await c.chat.completions.create({ model: "gpt-4o-mini", messages: MESSAGES, stream: true, stream_options: { include_usage: true } });
    const chunks = [];
    for await (const chunk of s) chunks.push(chunk);
    return chunks;
  },
  embedding: (c) => c.embeddings.create({ model: "text-embedding-3-small", input: "six times seven", encoding_format: "float" }),
};

async function block(fn, client, calls = CALLS) {
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < calls; i++) await fn(client);
  const wall = Number(process.hrtime.bigint() - t0) / 1e3;
  const cpu = process.cpuUsage(cpu0);
  return { cpu: (cpu.user + cpu.system) / calls, wall: wall / calls };
}

/**
 * `chat_stub`: a client of the same shape whose `create` resolves to a parsed chat completion
 * at once (what the fake server answers), so only the tracing is left to measure.
 */
async function stubClient(real) {
  const completion = JSON.parse(JSON.stringify(await CASES.chat(real)));
  return { chat: { completions: { create: async () => completion } } };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const round = (x) => Math.round(x * 10) / 10;

const { url, child } = await startFake();
try {
  const plain = new OpenAI({ baseURL: `${url}/v1`, apiKey: "test", maxRetries: 0 });
  const traced = mlflow.tracedOpenAI(plain);
  const results = {};
  const stub = await stubClient(plain);
  const cases = Object.entries(CASES).map(([name, fn]) => [name, fn, plain, traced, CALLS]);
  cases.push(["chat_stub", CASES.chat, stub, mlflow.tracedOpenAI(stub), CALLS * 50]);
  for (const [name, fn, plain, traced, calls] of cases) {
    for (let i = 0; i < 4; i++) await block(fn, i % 2 ? traced : plain, calls); // warm up both paths
    const cpu = [];
    const wall = [];
    const base = [];
    for (let b = 0; b < BLOCKS; b++) {
      const u = await block(fn, plain, calls);
      const t = await block(fn, traced, calls);
      cpu.push(t.cpu - u.cpu);
      wall.push(t.wall - u.wall);
      base.push(u.cpu);
      await mlflow.flushTraces(10_000);
      mlflow.testing.clearMemoryTraces();
    }
    results[name] = {
      untraced_cpu_us: round(median(base)),
      overhead_cpu_us: round(median(cpu)),
      overhead_wall_us: round(median(wall)),
    };
  }
  console.log(JSON.stringify({ bench: "node_autolog", blocks: BLOCKS, calls: CALLS, openai: plain.constructor.VERSION ?? null, results }));
} finally {
  child.kill("SIGTERM");
}
