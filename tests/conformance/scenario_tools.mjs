// Conformance scenario "tools" in JavaScript; its twin is scenario_tools.py.
import * as mlflow from "../../bindings-node/dist/index.mjs";

const { SpanType } = mlflow;

const weather = mlflow.trace(function weather(city) {
  return { city, temp_c: 21 };
}, { spanType: SpanType.TOOL });

const calculator = mlflow.trace(function calculator(expression) {
  if (expression.includes("/ 0")) throw new RangeError("division by zero");
  return 42;
}, { spanType: SpanType.TOOL });

const plan = mlflow.trace(function plan(question) {
  return [{ tool: "weather", arg: "Paris" }, { tool: "calculator", arg: "6 * 7 / 0" }];
}, { spanType: SpanType.CHAIN });

const agent = mlflow.trace(function agent(question) {
  mlflow.updateCurrentTrace({ tags: { scenario: "tools" }, metadata: { "app.version": "2" } });
  const results = [];
  for (const step of plan(question)) {
    if (step.tool === "weather") {
      results.push(weather(step.arg));
      continue;
    }
    mlflow.withSpan((retry) => {
      retry.setInputs({ attempts: 2 });
      for (let attempt = 0; attempt < 2; attempt++) {
        try {
          results.push(calculator(attempt === 0 ? step.arg : "6 * 7"));
          break;
        } catch {
          retry.addEvent(new mlflow.SpanEvent({ name: "retrying", attributes: { attempt } }));
        }
      }
      retry.setOutputs({ ok: true });
    }, { name: "retry", spanType: SpanType.CHAIN });
  }
  calculator("1 / 0");
}, { spanType: SpanType.AGENT });

try {
  agent("weather in Paris, and 6 * 7?");
} catch {
  // the trace records the error
}
await mlflow.flushTraces();
