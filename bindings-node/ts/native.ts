/**
 * Loads the native addon (Rust, napi) and describes its surface. Only this module touches it
 * directly; everything else goes through the typed `native` object.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { isMainThread } from "node:worker_threads";

/**
 * An opaque handle to a span owned by the core: a Node-API external, or the number of the
 * addon's slot holding the span of a traced call while it runs (`src/slots.rs`; the facade
 * never hands those to user code, see `LiveSpan._detach`).
 */
export type SpanHandle = { readonly __ferrotraceSpan: unique symbol } | SlotHandle;
export type SlotHandle = number & { readonly __ferrotraceSlot: unique symbol };

/** What a command line prints for a store folder (`text` absent: no such trace). */
export interface StoreText {
  text?: string;
  warnings: string[];
}

/**
 * The functions exported by `src/*.rs`. Values cross as JSON text. `make lint` checks this
 * against the types napi-rs generates from the Rust signatures (`scripts/check-native-types.js`).
 */
export interface NativeBinding {
  startRoot(
    name: string,
    spanType?: string | null,
    inputsJson?: string | null,
    startNs?: bigint | null,
    traceparent?: string | null,
  ): SpanHandle;
  startChild(
    parent: SpanHandle,
    name: string,
    spanType?: string | null,
    inputsJson?: string | null,
    startNs?: bigint | null,
  ): SpanHandle;
  registerSite(name: string, spanType?: string | null): number;
  leafEnd(
    site: number,
    parent: SpanHandle | null,
    startMono: bigint,
    inputsJson: string | null,
    outputsJson: string | null,
  ): number;
  /**
   * `leafEnd`, `leafStart` or `spanFinish` as a raw Node-API function (same arguments and
   * result, less per-call overhead), or `leafBatch` (see `leaves.ts`); fetch each once.
   */
  rawFunction(name: "leafBatch" | "leafEnd" | "leafStart" | "spanFinish"): Function;
  /** Whether ended leaves may wait in the facade for a batch (not with a trace timeout). */
  leafBuffering(): boolean;
  leafFail(
    site: number,
    parent: SpanHandle | null,
    startMono: bigint,
    inputsJson: string | null,
    typeName: string,
    message: string,
    stack: string,
  ): number;
  leafStart(site: number, parent: SpanHandle | null, startMono: bigint, inputsJson: string | null): SpanHandle;
  leafHandle(seq: number): SpanHandle | null;
  noteParentExpired(): void;
  spanSetInputs(span: SpanHandle, json: string): void;
  spanSetOutputs(span: SpanHandle, json: string): void;
  spanSetAttribute(span: SpanHandle, key: string, json: string): void;
  spanSetSpanType(span: SpanHandle, spanType: string): void;
  spanSetName(span: SpanHandle, name: string): void;
  spanSetStatus(span: SpanHandle, code: string, description?: string | null): boolean;
  spanAddEvent(
    span: SpanHandle,
    name: string,
    timeNs?: bigint | null,
    attributesJson?: string | null,
  ): void;
  spanRecordException(span: SpanHandle, typeName: string, message: string, stack: string): void;
  /**
   * The end calls return -1 when the span had already ended, -2 when it ended, and its number
   * for `leafHandle` when it ended and its slot handle was released (the handle is then dead).
   */
  spanEnd(span: SpanHandle, endNs?: bigint | null): number;
  spanFinish(span: SpanHandle, outputsJson?: string | null): number;
  spanFail(span: SpanHandle, typeName: string, message: string, stack: string): number;
  /** The span of a slot handle as an external (the slot is freed), or `null` if no longer valid. */
  spanDetach(slot: SlotHandle): SpanHandle | null;
  spanUpdateTrace(span: SpanHandle, json: string): boolean;
  spanTraceId(span: SpanHandle): string;
  spanSpanId(span: SpanHandle): string;
  spanParentId(span: SpanHandle): string | null;
  spanName(span: SpanHandle): string;
  spanIsEnded(span: SpanHandle): boolean;
  spanGetAttribute(span: SpanHandle, key: string): string | null;
  spanAttributes(span: SpanHandle): string;
  spanEvents(span: SpanHandle): string;
  spanStatus(span: SpanHandle): { code: string; description: string };
  spanStartNs(span: SpanHandle): bigint;
  spanEndNs(span: SpanHandle): bigint | null;
  spanIsSampled(span: SpanHandle): boolean;
  spanChunk(span: SpanHandle, index: number, json: string): void;
  spanAddLink(span: SpanHandle, traceId: string, spanId: string, attributesJson?: string | null): boolean;
  spanLinks(span: SpanHandle): string;
  spanTraceparent(span: SpanHandle): string;
  normalizeTraceparent(header: string): string | null;
  spanToJson(span: SpanHandle): string;
  /** `src/llm.rs`: a wrapped LLM client's call; `call` is `openai.chat`, `anthropic.messages`, ... */
  llmStart(span: SpanHandle, call: string): void;
  llmEnd(span: SpanHandle, call: string, outputsJson: string | null): void;
  llmFail(span: SpanHandle, call: string, typeName: string, message: string, stack: string): void;
  llmAttributes(call: string, inputsJson: string, outputsJson?: string | null): string;
  flush(timeoutMs: number): Promise<boolean>;
  exitSync(timeoutMs: number, openRoots?: number): boolean;
  flushSync(timeoutMs: number): boolean;
  stats(): string;
  lastTraceId(): string | null;
  memoryTraces(): string;
  clearMemory(): void;
  readLocalStore(dir: string): string;
  uiStart(host: string, port: number, dir: string): string;
  uiStop(): void;
  configure(json: string): void;
  config(): string;
  caps(): string;
  setProcessMetadata(json: string): void;
  recentWarnings(): string[];
  init(json: string): boolean;
  initEnvNames(): string[];
  resolveExperiment(timeoutMs: number): Promise<string>;
  traceApi(op: string, argsJson: string): Promise<string>;
  storeCompact(dir: string): Promise<string>;
  storeList(dir: string): StoreText;
  storeShow(dir: string, traceId: string): StoreText;
}

const PACKAGE_ROOT = path.join(__dirname, "..");
const LIB = "libferrotrace_node.so";

/**
 * Where the addon may be, newest first: `FERROTRACE_NODE_ADDON` if set, else the copy that
 * `scripts/build.js` leaves at the package root, else (in a source checkout) cargo's own output.
 * The newest file wins so that a `cargo build` after an install is picked up.
 */
function candidates(): string[] {
  const explicit = process.env.FERROTRACE_NODE_ADDON;
  if (explicit) return [explicit];
  const found: Array<[string, number]> = [];
  for (const f of builtFiles()) {
    try {
      found.push([f, fs.statSync(f).mtimeMs]);
    } catch {
      // not built here
    }
  }
  const built = found.sort((a, b) => b[1] - a[1]).map(([f]) => f);
  const pre = prebuiltFile();
  return pre === undefined ? built : [...built, pre];
}

/**
 * The addon of the per-platform package an install from the registry brings as an optional
 * dependency (`ferrotrace-linux-x64-gnu`); a build in this folder, when there is one, wins.
 */
function prebuiltFile(): string | undefined {
  if (process.platform !== "linux" || process.arch !== "x64") return undefined;
  try {
    return require.resolve("ferrotrace-linux-x64-gnu", { paths: [PACKAGE_ROOT] });
  } catch {
    return undefined;
  }
}

/** The package's copy of the addon and cargo's outputs in a source checkout. */
function builtFiles(): string[] {
  const target = path.join(PACKAGE_ROOT, "..", "target");
  return [
    path.join(PACKAGE_ROOT, "ferrotrace.node"),
    path.join(target, "x86_64-unknown-linux-gnu", "release", LIB),
    path.join(target, "x86_64-unknown-linux-gnu", "debug", LIB),
    path.join(target, "release", LIB),
    path.join(target, "debug", LIB),
  ];
}

/**
 * In a worker thread, the addon file this process already has mapped (Linux), if it is one of
 * `files`: every thread must use that same file, since a second copy (a newer build, another
 * `FERROTRACE_NODE_ADDON`) would be a second tracer with its own queue and memory store.
 */
function loadedInProcess(files: string[]): string | undefined {
  if (isMainThread) return undefined;
  let maps: string;
  try {
    maps = fs.readFileSync("/proc/self/maps", "utf8");
  } catch {
    return undefined;
  }
  const real = new Map<string, string>();
  for (const f of files) {
    try {
      real.set(fs.realpathSync(f), f);
    } catch {
      // gone since it was listed
    }
  }
  for (const line of maps.split("\n")) {
    const at = line.indexOf("/");
    if (at < 0) continue;
    const file = real.get(line.slice(at));
    if (file !== undefined) return file;
  }
  return undefined;
}

/** Every file the addon may be loaded from, for the in-process check. */
function allCandidates(): string[] {
  const explicit = process.env.FERROTRACE_NODE_ADDON;
  const pre = prebuiltFile();
  const files = pre === undefined ? builtFiles() : [...builtFiles(), pre];
  return explicit ? [explicit, ...files] : files;
}

function load(): [NativeBinding, string] {
  const files = candidates();
  const file = loadedInProcess(allCandidates()) ?? files[0];
  if (file === undefined) {
    throw new Error(
      "ferrotrace: the native addon is not built. Run `node scripts/build.js` in the " +
        `ferrotrace package folder (${PACKAGE_ROOT}); it needs cargo. With npm's install-script ` +
        "approval enabled, `npm install-scripts approve ferrotrace && npm rebuild ferrotrace` does the same.",
    );
  }
  const mod = { exports: {} as NativeBinding };
  // dlopen rather than require: cargo's output ends in `.so`, which require() would read as JS.
  process.dlopen(mod, file);
  return [mod.exports, file];
}

const [binding, file] = load();

let beforeCall: () => void = () => {};

/**
 * Sets what runs before every native call that could see spans ended in JavaScript but not yet
 * recorded (`leaves.ts` records them), so the core never observes them out of order.
 */
export function beforeNativeCall(f: () => void): void {
  beforeCall = f;
}

let afterSettings: () => void = () => {};

/** Sets what runs after every call that changes settings (`configure`, `init`). */
export function afterSettingsCall(f: () => void): void {
  afterSettings = f;
}

const SETTINGS = new Set<string>(["configure", "init"]);

// Calls that act on one open span or start one cannot see a span ended elsewhere; every other
// call (ending a span, reading stats, the last trace id, traces, flushing, settings) can, and
// `spanDetach` frees a slot that kept leaves may name as their parent.
const ORDER_FREE = new Set<string>([
  "startRoot", "startChild", "registerSite", "rawFunction", "leafBuffering", "leafStart",
  "spanSetInputs", "spanSetOutputs", "spanSetAttribute", "spanSetSpanType", "spanSetName",
  "spanSetStatus", "spanAddEvent", "spanRecordException", "spanUpdateTrace", "spanTraceId",
  "spanSpanId", "spanParentId", "spanName", "spanIsEnded", "spanGetAttribute", "spanAttributes",
  "spanEvents", "spanStatus", "spanStartNs", "spanEndNs", "spanIsSampled", "spanChunk",
  "spanAddLink", "spanLinks", "spanTraceparent", "normalizeTraceparent", "spanToJson", "caps",
  "recentWarnings", "noteParentExpired", "llmStart", "llmEnd", "llmFail", "llmAttributes",
]);

function ordered(b: NativeBinding): NativeBinding {
  const out: Record<string, unknown> = {};
  for (const key of Object.getOwnPropertyNames(b)) {
    const f = (b as unknown as Record<string, unknown>)[key];
    out[key] =
      typeof f !== "function" || ORDER_FREE.has(key)
        ? f
        : SETTINGS.has(key)
          ? function (...args: unknown[]): unknown {
              beforeCall();
              try {
                return (f as (...a: unknown[]) => unknown).apply(b, args);
              } finally {
                afterSettings();
              }
            }
          : function (...args: unknown[]): unknown {
              beforeCall();
              return (f as (...a: unknown[]) => unknown).apply(b, args);
            };
  }
  return out as unknown as NativeBinding;
}

/** The loaded addon; calls that could see not yet recorded spans record them first. */
export const native: NativeBinding = ordered(binding);

/** The file the addon was loaded from (the same in every thread of the process). */
export const addonPath: string = file;
