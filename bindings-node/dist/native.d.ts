/**
 * An opaque handle to a span owned by the core: a Node-API external, or the number of the
 * addon's slot holding the span of a traced call while it runs (`src/slots.rs`; the facade
 * never hands those to user code, see `LiveSpan._detach`).
 */
export type SpanHandle = {
    readonly __ferrotraceSpan: unique symbol;
} | SlotHandle;
export type SlotHandle = number & {
    readonly __ferrotraceSlot: unique symbol;
};
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
    startRoot(name: string, spanType?: string | null, inputsJson?: string | null, startNs?: bigint | null, traceparent?: string | null): SpanHandle;
    startChild(parent: SpanHandle, name: string, spanType?: string | null, inputsJson?: string | null, startNs?: bigint | null): SpanHandle;
    registerSite(name: string, spanType?: string | null): number;
    leafEnd(site: number, parent: SpanHandle | null, startMono: bigint, inputsJson: string | null, outputsJson: string | null): number;
    /**
     * `leafEnd`, `leafStart` or `spanFinish` as a raw Node-API function (same arguments and
     * result, less per-call overhead), or `leafBatch` (see `leaves.ts`); fetch each once.
     */
    rawFunction(name: "leafBatch" | "leafEnd" | "leafStart" | "spanFinish"): Function;
    /** Whether ended leaves may wait in the facade for a batch (not with a trace timeout). */
    leafBuffering(): boolean;
    leafFail(site: number, parent: SpanHandle | null, startMono: bigint, inputsJson: string | null, typeName: string, message: string, stack: string): number;
    leafStart(site: number, parent: SpanHandle | null, startMono: bigint, inputsJson: string | null): SpanHandle;
    leafHandle(seq: number): SpanHandle | null;
    noteParentExpired(): void;
    spanSetInputs(span: SpanHandle, json: string): void;
    spanSetOutputs(span: SpanHandle, json: string): void;
    spanSetAttribute(span: SpanHandle, key: string, json: string): void;
    spanSetSpanType(span: SpanHandle, spanType: string): void;
    spanSetName(span: SpanHandle, name: string): void;
    spanSetStatus(span: SpanHandle, code: string, description?: string | null): boolean;
    spanAddEvent(span: SpanHandle, name: string, timeNs?: bigint | null, attributesJson?: string | null): void;
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
    spanStatus(span: SpanHandle): {
        code: string;
        description: string;
    };
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
/**
 * Sets what runs before every native call that could see spans ended in JavaScript but not yet
 * recorded (`leaves.ts` records them), so the core never observes them out of order.
 */
export declare function beforeNativeCall(f: () => void): void;
/** Sets what runs after every call that changes settings (`configure`, `init`). */
export declare function afterSettingsCall(f: () => void): void;
/** The loaded addon; calls that could see not yet recorded spans record them first. */
export declare const native: NativeBinding;
/** The file the addon was loaded from (the same in every thread of the process). */
export declare const addonPath: string;
