// Fluent API: a wrapped call tree with span types and attributes, a manual `withSpan` block, a
// detached `startSpan` / `end`, a decorated class method, trace tags and metadata, and an
// exception; then the trace ids and span trees the program itself produced.
//
// Mirrors: the mlflow-tracing package README quickstart (`trace` wrapper, `withSpan`), and the
// "Manual tracing" TypeScript tabs of MLflow's tracing docs (span types, `startSpan` with an
// explicit parent, `@trace()` decorators, `updateCurrentTrace`, errors recorded on the span).
import * as mlflow from "ferrotrace";

mlflow.init({ trackingUri: process.env.MLFLOW_TRACKING_URI, experimentId: process.env.COMPAT_EXPERIMENT_ID });

const addOne = mlflow.trace((x: number) => x + 1, { name: "add_one" });

const plusTwoThenSquare = mlflow.trace(
  async (x: number): Promise<number> => {
    const y = addOne(x) + 2;
    const squared = await mlflow.withSpan(
      async (span: mlflow.LiveSpan) => {
        span.setInputs({ y });
        span.setAttribute("operation", "exponentiation");
        return y * y;
      },
      { name: "square", spanType: mlflow.SpanType.TOOL },
    );
    mlflow.updateCurrentTrace({ tags: { flavour: "fluent" }, metadata: { "app.version": "1.2.3" } });
    return squared;
  },
  { name: "plus_two_then_square", spanType: mlflow.SpanType.CHAIN, attributes: { operation: "addition" } },
);

class Retriever {
  constructor(private readonly docs: string[]) {}

  @mlflow.trace({ spanType: mlflow.SpanType.RETRIEVER })
  async retrieve(query: string): Promise<string[]> {
    return this.docs.filter((d) => d.includes(query));
  }
}

const divide = mlflow.trace(
  function checkedDivision(a: number, b: number): number {
    if (b === 0) throw new Error("division by zero");
    return a / b;
  },
  { spanType: mlflow.SpanType.TOOL },
);

async function main(): Promise<void> {
  const ids: string[] = [];
  console.log("plus_two_then_square(3) =", await plusTwoThenSquare(3));
  ids.push(mlflow.getLastActiveTraceId()!);

  const docs = await new Retriever(["mlflow traces", "rust core", "mlflow spans"]).retrieve("mlflow");
  console.log("retrieved", JSON.stringify(docs));
  ids.push(mlflow.getLastActiveTraceId()!);

  // A detached span tree: the parent is given explicitly.
  const root = mlflow.startSpan({ name: "pipeline", spanType: mlflow.SpanType.CHAIN, inputs: { n: 2 } });
  const child = mlflow.startSpan({ name: "step", parent: root, inputs: { i: 0 } });
  child.end({ outputs: { done: true } });
  root.end({ outputs: { steps: 1 }, status: "OK" });
  console.log("pipeline ended, same trace:", child.traceId === root.traceId);
  ids.push(root.traceId);

  try {
    divide(1, 0);
  } catch (e) {
    console.log("caught:", (e as Error).message);
  }
  ids.push(mlflow.getLastActiveTraceId()!);

  console.log("outside any span:", mlflow.getCurrentActiveSpan() === null);
  await mlflow.flushTraces();
  console.log(`COMPAT_TRACE_IDS ${JSON.stringify(ids)}`);
}

void main();
