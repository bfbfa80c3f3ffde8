"""Conformance scenario "tools": an agent plans, calls tools (one fails and is retried, one
fails for good), and ends in an error. Its twin is scenario_tools.mjs; both must produce
expected_tools.json."""

import ferrotrace as mlflow


@mlflow.trace(span_type="TOOL")
def weather(city):
    return {"city": city, "temp_c": 21}


@mlflow.trace(span_type="TOOL")
def calculator(expression):
    if "/ 0" in expression:
        raise ZeroDivisionError("division by zero")
    return 42


@mlflow.trace(span_type="CHAIN")
def plan(question):
    return [{"tool": "weather", "arg": "Paris"}, {"tool": "calculator", "arg": "6 * 7 / 0"}]


@mlflow.trace(span_type="AGENT")
def agent(question):
    mlflow.update_current_trace(tags={"scenario": "tools"}, metadata={"app.version": "2"})
    results = []
    for step in plan(question):
        if step["tool"] == "weather":
            results.append(weather(step["arg"]))
            continue
        with mlflow.start_span("retry", span_type="CHAIN") as retry:
            retry.set_inputs({"attempts": 2})
            for attempt in range(2):
                try:
                    results.append(calculator(step["arg"] if attempt == 0 else "6 * 7"))
                    break
                except ZeroDivisionError:
                    retry.add_event(mlflow.entities.SpanEvent("retrying", attributes={"attempt": attempt}))
            retry.set_outputs({"ok": True})
    calculator("1 / 0")


try:
    agent("weather in Paris, and 6 * 7?")
except ZeroDivisionError:
    pass
mlflow.flush()
