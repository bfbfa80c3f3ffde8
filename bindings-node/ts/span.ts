/**
 * `LiveSpan`: the object user code receives (span types, statuses and events are in
 * `span_types.ts`). It wraps a native span; every setter captures the value to JSON text here
 * and never throws.
 */
import { toJsonText } from "./capture";
import { NO_OP_SPAN_TRACE_ID, SpanAttributeKey, SpanLogLevel } from "./constants";
import { endHooks, runHooks } from "./hooks";
import { keepLeaf, keepsLeafOf, raw, recordLeaves } from "./leaves";
import { native, type SpanHandle } from "./native";
import {
  describeError,
  hrTime,
  internalError,
  SpanEvent,
  SpanStatus,
  SpanStatusCode,
  SpanType,
  toNs,
  type AttributeValue,
  type HrTime,
  type SpanLink,
} from "./span_types";

export { describeError, internalError, SpanEvent, SpanStatus, SpanStatusCode, SpanType, toNs } from "./span_types";
export type { AttributeValue, HrTime, SpanLink } from "./span_types";

const LOG_LEVELS: Record<string, number> = { DEBUG: 10, INFO: 20, WARNING: 30, ERROR: 40, CRITICAL: 50 };

function parseJson(text: string | null | undefined): unknown {
  if (text === null || text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * @internal A traced call's span before anything native exists: its registered site (name and
 * type), parent, start (`process.hrtime.bigint()`) and captured inputs.
 */
export interface Pending {
  readonly site: number;
  readonly parent: LiveSpan | undefined;
  readonly t0: bigint;
  readonly inputs: string | null;
}

const leafEnd = raw("leafEnd");
const leafStart = raw("leafStart");
const spanFinish = raw("spanFinish");

/**
 * @internal Roots of traced calls still pending (running, nothing native yet): the core has
 * not seen them, so the exit hook hands their number to the core's exit, which counts them
 * (`open_at_exit`) when the process ends inside them (`process.exit()` in a traced call).
 */
export const lazyRoots = { open: 0 };

/** A pending span stops being pending: its root (if it is one) is the core's from now on. */
function settled(p: Pending): void {
  if (p.parent === undefined) lazyRoots.open--;
}

/** `LiveSpan._leaf` of a leaf kept for its batch. */
const KEPT = -2;

/**
 * The parent's native span (started when the child started) for a pending span ending in one
 * call: `null` for a root, `undefined` when the parent has ended and is no longer kept (counted:
 * there is nothing to record the span under).
 */
function endingParent(p: Pending): SpanHandle | null | undefined {
  if (p.parent === undefined) return null;
  const h = p.parent._native;
  if (h !== null) return h;
  if (p.parent._expired) native.noteParentExpired();
  return undefined;
}

/**
 * A span that is running (or has ended: its getters keep working). Returned by `withSpan`,
 * `getCurrentActiveSpan`, `startSpan`, and passed to span hooks. A span whose start failed
 * (or that was started under one) is a no-op: `traceId` is `NO_OP_SPAN_TRACE_ID`, every
 * method does nothing. No method throws.
 *
 * @example
 * ```ts
 * withSpan((span) => {
 *   span.setInputs({ q: "hi" });
 *   span.setAttribute("model", "gpt-x");
 *   span.setOutputs("hello");
 * }, { name: "answer", spanType: SpanType.CHAIN });
 * ```
 */
export class LiveSpan {
  /** @internal The native span; `null` for a no-op span, `undefined` while pending. */
  _h: SpanHandle | null | undefined;
  /** @internal What a pending span needs to start natively. */
  _pending: Pending | null = null;
  /**
   * @internal The span's number in the addon's recent ring once ended in one native call (see
   * `_finish`) or once its slot handle was released at its end, `KEPT` while it waits for its
   * batch (`leaves.ts`), else -1.
   */
  _leaf = -1;
  /**
   * @internal Set when this span was read by number after its end (`_leaf`) and the addon no
   * longer kept it: a child started under it cannot be recorded, and is counted.
   */
  _expired = false;
  /** @internal Set once outputs were given, so the wrapper does not overwrite them. */
  _outputsSet = false;
  /** @internal Set when ending starts: end hooks run once, and `end()` twice is a no-op. */
  _ending = false;
  private _traceId: string | undefined;

  /** @internal */
  constructor(nativeSpan: SpanHandle | null) {
    this._h = nativeSpan;
  }

  /**
   * @internal A traced call's span, *pending*: nothing native exists until something needs it
   * (`_native`); if nothing does, one native call starts and ends it when the call returns.
   */
  static _lazy(pending: Pending): LiveSpan {
    const span = new LiveSpan(null);
    span._h = undefined;
    span._pending = pending;
    if (pending.parent === undefined) lazyRoots.open++;
    return span;
  }

  /** @internal The native span (started now if pending); `null` for a no-op span. */
  get _native(): SpanHandle | null {
    const h = this._h;
    return h !== undefined ? h : this._materialize();
  }

  private _materialize(): SpanHandle | null {
    let h: SpanHandle | null = null;
    try {
      if (this._leaf === KEPT) recordLeaves(); // numbers it
      if (this._leaf >= 0) {
        // Ended in one call, or ended with a slot handle, and read afterwards (a late callback):
        // the addon keeps recent ended spans by number.
        h = native.leafHandle(this._leaf);
        this._expired = h === null;
      } else if (this._pending !== null) {
        const p = this._pending;
        settled(p);
        const parent = p.parent === undefined ? null : p.parent._native;
        if (p.parent === undefined || parent !== null) h = leafStart(p.site, parent, p.t0, p.inputs);
      }
    } catch (e) {
      internalError("starting a span", e);
    }
    this._h = h;
    this._pending = null;
    return h;
  }

  /**
   * @internal Makes a slot handle an external one, before the span reaches code that may keep
   * it past its end (a slot handle dies as the span ends; see `src/slots.rs`).
   */
  _detach(): void {
    const h = this._h;
    if (typeof h !== "number") return;
    try {
      this._h = native.spanDetach(h);
    } catch (e) {
      this._h = null;
      internalError("keeping a span", e);
    }
  }

  /** @internal After a native end call: a released slot handle leaves its number to read by. */
  private _ended(r: number): void {
    if (r >= 0) {
      this._h = undefined;
      this._leaf = r;
    }
  }

  private call(what: string, f: (n: SpanHandle) => void): void {
    const n = this._native;
    if (n === null) return;
    try {
      f(n);
    } catch (e) {
      internalError(what, e);
    }
  }

  private read<T>(f: (n: SpanHandle) => T, fallback: T): T {
    const n = this._native;
    if (n === null) return fallback;
    try {
      return f(n);
    } catch (e) {
      internalError("reading a span", e);
      return fallback;
    }
  }

  /** `tr-` + 32 hex digits. */
  get traceId(): string {
    return (this._traceId ??= this.read((n) => native.spanTraceId(n), NO_OP_SPAN_TRACE_ID));
  }
  get spanId(): string {
    return this.read((n) => native.spanSpanId(n), "");
  }
  get parentId(): string | null {
    return this.read((n) => native.spanParentId(n), null);
  }
  get name(): string {
    return this.read((n) => native.spanName(n), "");
  }
  /** `mlflow.spanType`: a `SpanType` value, or the custom string it was given. */
  get spanType(): SpanType {
    return ((this.getAttribute("mlflow.spanType") as string | undefined) ?? SpanType.UNKNOWN) as SpanType;
  }
  // Decoded JSON values are typed `any`, as in MLflow's SDK, so its users' code type-checks.
  get inputs(): any {
    return this.read((n) => parseJson(native.spanGetAttribute(n, "mlflow.spanInputs")), undefined);
  }
  get outputs(): any {
    return this.read((n) => parseJson(native.spanGetAttribute(n, "mlflow.spanOutputs")), undefined);
  }
  get attributes(): Record<string, any> {
    return this.read((n) => JSON.parse(native.spanAttributes(n)) as Record<string, unknown>, {});
  }
  get status(): SpanStatus {
    return this.read((n) => {
      const s = native.spanStatus(n);
      return new SpanStatus(s.code as SpanStatusCode, s.description);
    }, new SpanStatus(SpanStatusCode.UNSET));
  }
  get events(): SpanEvent[] {
    return this.read((n) => {
      const raw = JSON.parse(native.spanEvents(n)) as Array<{
        name: string;
        timestamp: string;
        attributes: Record<string, AttributeValue>;
      }>;
      return raw.map(
        (e) => new SpanEvent({ ...e, timestamp: BigInt(e.timestamp) }),
      );
    }, []);
  }
  /** Start time in nanoseconds since the epoch. */
  get startTimeNs(): bigint {
    return this.read((n) => native.spanStartNs(n), 0n);
  }
  /** End time in nanoseconds, or `null` while running. */
  get endTimeNs(): bigint | null {
    return this.read((n) => native.spanEndNs(n), null);
  }
  /** Start time as OpenTelemetry's `[seconds, nanoseconds]`. */
  get startTime(): HrTime {
    return hrTime(this.startTimeNs);
  }
  /** End time as `[seconds, nanoseconds]`, or `null` while running. */
  get endTime(): HrTime | null {
    const ns = this.endTimeNs;
    return ns === null ? null : hrTime(ns);
  }
  /** `mlflow.spanLogLevel` (a `SpanLogLevel` value); set when the span ends unless given. */
  get logLevel(): SpanLogLevel | undefined {
    const v = this.getAttribute(SpanAttributeKey.LOG_LEVEL);
    return typeof v === "number" ? (v as SpanLogLevel) : undefined;
  }
  /** Links added with `addLink`. */
  get links(): SpanLink[] {
    return this.read((n) => JSON.parse(native.spanLinks(n)) as SpanLink[], []);
  }

  /** One attribute's value (decoded), or `undefined`. */
  getAttribute(key: string): any {
    return this.read((n) => parseJson(native.spanGetAttribute(n, key)), undefined);
  }

  setInputs(inputs: unknown): void {
    this.call("setInputs", (n) => native.spanSetInputs(n, toJsonText(inputs)));
  }

  setOutputs(outputs: unknown): void {
    this._outputsSet = true;
    this.call("setOutputs", (n) => native.spanSetOutputs(n, toJsonText(outputs)));
  }

  /** Sets an attribute; the value is stored as JSON text (as MLflow does). */
  setAttribute(key: string, value: unknown): void {
    if (key === "mlflow.spanOutputs") this._outputsSet = true;
    this.call("setAttribute", (n) => native.spanSetAttribute(n, String(key), toJsonText(value)));
  }

  setAttributes(attributes: Record<string, unknown>): void {
    if (!attributes) return;
    for (const [k, v] of Object.entries(attributes)) this.setAttribute(k, v);
  }

  setSpanType(spanType: SpanType | string): void {
    this.call("setSpanType", (n) => native.spanSetSpanType(n, String(spanType)));
  }

  /**
   * Sets the verbosity: a `SpanLogLevel`, its number, or its name in any case (`"warning"`).
   * Anything else is ignored with a warning.
   */
  setLogLevel(level: SpanLogLevel | number | string): void {
    const v = typeof level === "number" ? level : LOG_LEVELS[String(level).trim().toUpperCase()];
    if (v === undefined || !Number.isInteger(v)) {
      console.warn(
        `ferrotrace: invalid log level ${JSON.stringify(level)} ignored: use DEBUG, INFO, WARNING, ERROR or CRITICAL`,
      );
      return;
    }
    this.call("setLogLevel", (n) => native.spanSetAttribute(n, SpanAttributeKey.LOG_LEVEL, String(v)));
  }

  /**
   * Links this span to another one (`{traceId, spanId, attributes?}`, or OpenTelemetry's
   * `{context: {traceId, spanId}, attributes?}`). An invalid id is ignored with a warning.
   */
  addLink(link: SpanLink | { context: { traceId: string; spanId: string }; attributes?: Record<string, AttributeValue> }): void {
    this.call("addLink", (n) => {
      const l = link as Partial<SpanLink> & { context?: { traceId?: string; spanId?: string } };
      const traceId = String(l?.traceId ?? l?.context?.traceId ?? "");
      const spanId = String(l?.spanId ?? l?.context?.spanId ?? "");
      if (!native.spanAddLink(n, traceId, spanId, toJsonText(l?.attributes ?? {})) && !native.spanIsEnded(n)) {
        console.warn(
          `ferrotrace: invalid span link ignored (traceId ${JSON.stringify(traceId)}, spanId ${JSON.stringify(spanId)}): ` +
            "use tr-<32 hex> (or 32 hex) and 16 hex",
        );
      }
    });
  }

  /**
   * The span as MLflow serializes it (`Span.to_dict()`, the stored form): base64 ids, attribute
   * values as JSON text, times in nanoseconds as `bigint` (`end_time_unix_nano` null while
   * running).
   */
  toJson(): Record<string, unknown> {
    return this.read((n) => {
      const d = JSON.parse(native.spanToJson(n)) as Record<string, unknown>;
      d.start_time_unix_nano = native.spanStartNs(n);
      d.end_time_unix_nano = native.spanEndNs(n);
      return d;
    }, {});
  }

  /** Sets the status from a `SpanStatus`, or a code (`"OK"`, `"ERROR"`, `"UNSET"`) plus description. */
  setStatus(status: SpanStatus | SpanStatusCode | string, description?: string): void {
    const [code, desc] =
      status instanceof SpanStatus ? [status.statusCode, status.description] : [status, description];
    this.call("setStatus", (n) => {
      if (!native.spanSetStatus(n, String(code), desc ?? "") && !native.spanIsEnded(n)) {
        console.warn(`ferrotrace: unknown span status code ${JSON.stringify(code)} ignored`);
      }
    });
  }

  addEvent(event: SpanEvent): void {
    this.call("addEvent", (n) =>
      native.spanAddEvent(n, event.name, toNs(event.timestamp), toJsonText(event.attributes ?? {})),
    );
  }

  /** Records an `exception` event and sets status ERROR with `"<name>: <message>"`. */
  recordException(error: unknown): void {
    const e = describeError(error);
    this.call("recordException", (n) => native.spanRecordException(n, e.type, e.message, e.stack));
  }

  /**
   * Ends the span: sets the given outputs, attributes and status, runs the end hooks, closes
   * it. Status UNSET becomes OK. Ending twice does nothing.
   *
   * @example
   * ```ts
   * span.end({ outputs: { answer: 42 }, status: SpanStatusCode.OK });
   * ```
   */
  end(options?: {
    outputs?: unknown;
    attributes?: Record<string, unknown>;
    status?: SpanStatus | SpanStatusCode | "OK" | "ERROR" | "UNSET";
    endTimeNs?: number | bigint;
  }): void {
    if (this._native === null || this._ending) return;
    if (options?.outputs !== undefined) this.setOutputs(options.outputs);
    if (options?.attributes) this.setAttributes(options.attributes);
    if (options?.status !== undefined) this.setStatus(options.status);
    this._end(toNs(options?.endTimeNs));
  }

  /** @internal Runs the end hooks (once), then ends the span. */
  _end(endNs: bigint | null): void {
    const n = this._native;
    if (n === null) return;
    this._ending = true;
    try {
      if (endHooks.length > 0 && !native.spanIsEnded(n)) {
        // As MLflow's `end`: a status that is not ERROR reads OK before the span closes.
        if (native.spanStatus(n).code === "UNSET") native.spanSetStatus(n, "OK", "");
        this._detach(); // the hooks may keep the span
        runHooks(endHooks, this, "end");
      }
      this._ended(native.spanEnd(this._h ?? n, endNs));
    } catch (e) {
      internalError("ending a span", e);
    }
  }

  /**
   * Changes trace-level data of this span's trace (see `updateCurrentTrace`). Returns `false`
   * once the trace has ended.
   * @internal
   */
  _updateTrace(fields: Record<string, unknown>): boolean {
    return this.read((n) => native.spanUpdateTrace(n, JSON.stringify(fields)), false);
  }

  /** @internal Hot path: outputs (unless set in the body) and end, in one native call. */
  _finish(result: unknown): void {
    const p = this._pending;
    if (p !== null && this._h === undefined && endHooks.length === 0 && !this._ending) {
      // Nothing needed this span while it ran: start and end it in one call.
      this._ending = true;
      this._pending = null;
      settled(p);
      try {
        const outputs = toJsonText(result);
        const parent = endingParent(p);
        if (parent === undefined) {
          this._h = null;
          return;
        }
        if (p.inputs !== null && keepsLeafOf(parent)) {
          this._leaf = KEPT;
          keepLeaf(this, p.site, parent, p.t0, p.inputs, outputs);
        } else {
          this._leaf = leafEnd(p.site, parent, p.t0, p.inputs, outputs);
        }
      } catch (e) {
        this._h = null;
        internalError("ending a span", e);
      }
      return;
    }
    const n = this._native;
    if (n === null || this._ending) return;
    if (endHooks.length > 0) {
      if (!this._outputsSet) this.setOutputs(result);
      this._end(null);
      return;
    }
    this._ending = true;
    try {
      // Kept roots first: this end may seal a trace, and traces count (and the last trace id
      // follows) in the order they ended.
      recordLeaves();
      this._ended(spanFinish(n, this._outputsSet ? null : toJsonText(result)));
    } catch (e) {
      internalError("ending a span", e);
    }
  }

  /** @internal Records a thrown value and ends the span. */
  _fail(err: unknown): void {
    const p = this._pending;
    if (p !== null && this._h === undefined && endHooks.length === 0 && !this._ending) {
      this._ending = true;
      this._pending = null;
      settled(p);
      try {
        const parent = endingParent(p);
        if (parent === undefined) {
          this._h = null;
          return;
        }
        const e = describeError(err);
        this._leaf = native.leafFail(p.site, parent, p.t0, p.inputs, e.type, e.message, e.stack);
      } catch (e) {
        this._h = null;
        internalError("recording an error", e);
      }
      return;
    }
    const n = this._native;
    if (n === null || this._ending) return;
    try {
      const e = describeError(err);
      if (endHooks.length > 0) {
        native.spanRecordException(n, e.type, e.message, e.stack);
        this._end(null);
        return;
      }
      this._ending = true;
      this._ended(native.spanFail(n, e.type, e.message, e.stack));
    } catch (e) {
      internalError("recording an error", e);
    }
  }
}

/**
 * The span given when tracing is off in a scope or a span could not start (MLflow's
 * `NoOpSpan`): `traceId` is `NO_OP_SPAN_TRACE_ID`, every method does nothing, nothing is
 * recorded.
 *
 * @example
 * ```ts
 * await tracingContext({ enabled: false }, () =>
 *   withSpan((span) => console.log(span instanceof NoOpSpan), { name: "quiet" }), // true
 * );
 * ```
 */
export class NoOpSpan extends LiveSpan {
  constructor() {
    super(null);
  }
}
