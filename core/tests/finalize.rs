//! What the worker derives when a trace is sealed (token usage, previews, trace name, schema
//! version) and what `end()` defaults on each span (status, log level), as MLflow does.

mod common;

use std::collections::BTreeMap;

use common::{memory_tracer, span, FLUSH};
use ferrotrace_core::model::keys::{attr, meta, tag};
use ferrotrace_core::model::{RawJson, SpanEvent, StatusCode, Trace, TraceState};
use ferrotrace_core::tracer::RootOptions;
use ferrotrace_core::{LiveSpan, SpanContext, Tracer};
use serde_json::json;

fn typed(tracer: &Tracer, name: &str, ty: &str, parent: &SpanContext) -> LiveSpan {
    let mut s = tracer.start_child(name.to_owned(), parent, None);
    s.set_attribute(attr::SPAN_TYPE, RawJson::string(ty));
    s
}

fn with_usage(mut s: LiveSpan, usage: serde_json::Value) -> LiveSpan {
    s.set_attribute(attr::TOKEN_USAGE, RawJson::from_value(&usage));
    s
}

fn usage(i: i64, o: i64) -> serde_json::Value {
    json!({"input_tokens": i, "output_tokens": o, "total_tokens": i + o})
}

/// Flushes and returns the single exported trace.
fn only_trace(tracer: &Tracer) -> Trace {
    assert!(tracer.flush(FLUSH));
    let mut traces = tracer.memory_traces();
    assert_eq!(traces.len(), 1);
    traces.pop().unwrap()
}

#[test]
fn token_usage_counts_an_agent_total_once_and_sums_siblings() {
    let tracer = memory_tracer();
    let root = tracer.start_root("root", RootOptions::default());
    // The agent reports the total of the LLM calls it made (30 + 20, 50 total)...
    let agent = with_usage(
        typed(&tracer, "agent", "AGENT", root.context()),
        usage(30, 20),
    );
    let llm1 = with_usage(typed(&tracer, "llm1", "LLM", agent.context()), usage(10, 5));
    let llm2 = with_usage(
        typed(&tracer, "llm2", "LLM", agent.context()),
        usage(20, 15),
    );
    // ...including one made through a tool without usage of its own: still covered.
    let tool = typed(&tracer, "tool", "TOOL", agent.context());
    let llm4 = with_usage(
        typed(&tracer, "llm4", "LLM", tool.context()),
        usage(100, 100),
    );
    // A sibling of the agent is not covered by it and adds up, with an optional key.
    let mut u3 = usage(1, 2);
    u3["cache_read_input_tokens"] = json!(4);
    let llm3 = with_usage(typed(&tracer, "llm3", "LLM", root.context()), u3);
    for s in [llm4, tool, llm1, llm2, agent, llm3] {
        s.end(None);
    }
    root.end(None);

    let t = only_trace(&tracer);
    assert_eq!(
        t.info.metadata[meta::TOKEN_USAGE],
        r#"{"input_tokens": 31, "output_tokens": 22, "total_tokens": 53, "cache_read_input_tokens": 4}"#
    );
}

#[test]
fn token_usage_of_sibling_llm_calls_is_summed() {
    let tracer = memory_tracer();
    let root = tracer.start_root("root", RootOptions::default());
    let chain = typed(&tracer, "chain", "CHAIN", root.context());
    with_usage(typed(&tracer, "a", "LLM", chain.context()), usage(1, 1)).end(None);
    with_usage(typed(&tracer, "b", "LLM", chain.context()), usage(2, 3)).end(None);
    with_usage(typed(&tracer, "c", "LLM", root.context()), usage(10, 0)).end(None);
    chain.end(None);
    root.end(None);
    let t = only_trace(&tracer);
    assert_eq!(
        t.info.metadata[meta::TOKEN_USAGE],
        r#"{"input_tokens": 13, "output_tokens": 4, "total_tokens": 17}"#
    );
}

#[test]
fn a_trace_without_usage_has_no_usage_metadata() {
    let tracer = memory_tracer();
    let root = tracer.start_root("root", RootOptions::default());
    typed(&tracer, "llm", "LLM", root.context()).end(None);
    root.end(None);
    let t = only_trace(&tracer);
    assert!(!t.info.metadata.contains_key(meta::TOKEN_USAGE));
    assert_eq!(t.info.metadata[meta::SCHEMA_VERSION], "3");
}

#[test]
fn log_levels_default_from_the_span_type() {
    let tracer = memory_tracer();
    let root = tracer.start_root("root", RootOptions::default());
    let ctx = root.context();
    for ty in [
        "LLM",
        "CHAT_MODEL",
        "TOOL",
        "RETRIEVER",
        "AGENT",
        "EMBEDDING",
    ] {
        typed(&tracer, &format!("info-{ty}"), ty, ctx).end(None);
    }
    for ty in ["CHAIN", "UNKNOWN", "PARSER", "my-own-type"] {
        typed(&tracer, &format!("debug-{ty}"), ty, ctx).end(None);
    }
    tracer.start_child("untyped", ctx, None).end(None);
    // An exception raises the level to ERROR, whatever the type.
    let mut failed = typed(&tracer, "failed", "CHAIN", ctx);
    failed.record_exception("KeyError", "'x'", "Traceback ...");
    failed.end(None);
    // A level the user set is kept, and an exception never lowers it.
    let mut chosen = typed(&tracer, "chosen", "LLM", ctx);
    chosen.set_attribute(attr::LOG_LEVEL, RawJson::int(30));
    chosen.end(None);
    let mut critical = typed(&tracer, "critical", "TOOL", ctx);
    critical.set_attribute(attr::LOG_LEVEL, RawJson::int(50));
    critical.add_event(SpanEvent {
        name: "exception".into(),
        time_ns: 1,
        attributes: Default::default(),
    });
    critical.end(None);
    root.end(None);

    let t = only_trace(&tracer);
    let level = |name: &str| {
        span(&t, name)
            .attributes
            .get(attr::LOG_LEVEL)
            .unwrap()
            .as_str()
            .to_owned()
    };
    for ty in [
        "LLM",
        "CHAT_MODEL",
        "TOOL",
        "RETRIEVER",
        "AGENT",
        "EMBEDDING",
    ] {
        assert_eq!(level(&format!("info-{ty}")), "20", "{ty}");
    }
    for ty in ["CHAIN", "UNKNOWN", "PARSER", "my-own-type"] {
        assert_eq!(level(&format!("debug-{ty}")), "10", "{ty}");
    }
    assert_eq!(level("untyped"), "10");
    assert_eq!(level("root"), "10");
    assert_eq!(level("failed"), "40");
    assert_eq!(level("chosen"), "30");
    assert_eq!(level("critical"), "50");
}

#[test]
fn unset_status_becomes_ok_and_the_root_status_decides_the_state() {
    let tracer = memory_tracer();
    let root = tracer.start_root("root", RootOptions::default());
    let unset = tracer.start_child("unset", root.context(), None);
    assert_eq!(unset.record().status.code, StatusCode::Unset);
    let ended = unset.end(None);
    assert_eq!(ended.status.code, StatusCode::Ok);
    let mut failed = tracer.start_child("failed", root.context(), None);
    failed.set_status(StatusCode::Error, "it broke");
    failed.end(None);
    root.end(None);
    let t = only_trace(&tracer);
    assert_eq!(span(&t, "unset").status.code, StatusCode::Ok);
    assert_eq!(span(&t, "root").status.code, StatusCode::Ok);
    assert_eq!(span(&t, "failed").status.code, StatusCode::Error);
    assert_eq!(span(&t, "failed").status.message, "it broke");
    // A failed child does not fail the trace: MLflow takes the state from the root.
    assert_eq!(t.info.state, TraceState::Ok);

    let tracer = memory_tracer();
    let mut root = tracer.start_root("root", RootOptions::default());
    root.record_exception("RuntimeError", "no", "...");
    root.end(None);
    let t = only_trace(&tracer);
    assert_eq!(t.info.state, TraceState::Error);
    assert_eq!(t.spans[0].status.message, "RuntimeError: no");

    // An explicit state from the binding wins over the root status.
    let tracer = memory_tracer();
    let root = tracer.start_root("root", RootOptions::default());
    assert!(root
        .context()
        .update_trace(|d| d.state = Some(TraceState::Error)));
    root.end(None);
    assert_eq!(only_trace(&tracer).info.state, TraceState::Error);
}

#[test]
fn trace_level_data_keeps_user_values_and_names_the_trace_after_the_root() {
    let tracer = memory_tracer();
    tracer.set_process_metadata(BTreeMap::from([
        ("mlflow.source.name".to_owned(), "app.py".to_owned()),
        ("team".to_owned(), "from-process".to_owned()),
    ]));
    let mut root = tracer.start_root("first-name", RootOptions::default());
    let long = "x".repeat(5000);
    root.set_attribute(attr::INPUTS, RawJson::string(&long));
    root.set_attribute(attr::OUTPUTS, RawJson::string("short"));
    let ctx = root.context().clone();
    assert!(ctx.update_trace(|d| {
        // The root's name wins over a tag of the same key, as in MLflow.
        d.tags.insert(tag::TRACE_NAME.into(), "from-a-tag".into());
        d.metadata.insert("team".into(), "from-user".into());
        d.response_preview = Some("user preview".into());
    }));
    root.set_name("final-name");
    root.end(None);
    // Sealed: later updates are refused, not silently lost.
    assert!(!ctx.update_trace(|d| {
        d.tags.insert("late".into(), "x".into());
    }));

    let t = only_trace(&tracer);
    let info = &t.info;
    assert_eq!(info.tags[tag::TRACE_NAME], "final-name");
    assert!(!info.tags.contains_key("late"));
    assert_eq!(info.metadata["team"], "from-user");
    assert_eq!(info.metadata["mlflow.source.name"], "app.py");
    // Previews are capped at 1000 characters, trace inputs at 250, both ending in "...".
    let preview = info.request_preview.as_deref().unwrap();
    assert_eq!(preview.chars().count(), 1000);
    assert!(preview.starts_with("\"xxx") && preview.ends_with("x..."));
    let inputs = &info.metadata[meta::INPUTS];
    assert_eq!(inputs.chars().count(), 250);
    assert!(inputs.ends_with("x..."));
    assert_eq!(info.response_preview.as_deref(), Some("user preview"));
    assert_eq!(info.metadata[meta::OUTPUTS], "\"short\"");
}

#[test]
fn truncation_counts_characters_not_bytes() {
    let tracer = memory_tracer();
    let mut root = tracer.start_root("root", RootOptions::default());
    // 300 multi-byte characters: a cut by bytes would split one and miscount.
    root.set_attribute(attr::INPUTS, RawJson::string(&"é€".repeat(150)));
    root.end(None);
    let t = only_trace(&tracer);
    let inputs = &t.info.metadata[meta::INPUTS];
    assert_eq!(inputs.chars().count(), 250);
    assert!(inputs.ends_with("..."));
}

#[test]
fn trace_updates_map_session_user_and_model_and_reject_bad_states() {
    use ferrotrace_core::tracer::TraceUpdate;
    let tracer = ferrotrace_core::Tracer::new(ferrotrace_core::config::Config {
        memory: true,
        ..Default::default()
    });
    let root = tracer.start_root("req", ferrotrace_core::tracer::RootOptions::default());
    let bad = TraceUpdate {
        state: Some("DONE".into()),
        tags: vec![("t".into(), "1".into())],
        ..Default::default()
    };
    assert!(root.context().apply_update(bad).is_err());
    let update = TraceUpdate {
        tags: vec![("env".into(), "test".into())],
        session_id: Some("s1".into()),
        user: Some("u1".into()),
        model_id: Some("m-1".into()),
        state: Some("error".into()),
        ..Default::default()
    };
    assert!(root.context().apply_update(update).unwrap());
    let ctx = root.context().clone();
    root.end(None);
    assert!(!ctx.apply_update(TraceUpdate::default()).unwrap());
    assert!(tracer.flush(std::time::Duration::from_secs(5)));
    let info = &tracer.memory_traces()[0].info;
    assert_eq!(info.metadata["mlflow.trace.session"], "s1");
    assert_eq!(info.metadata["mlflow.trace.user"], "u1");
    assert_eq!(info.metadata["mlflow.modelId"], "m-1");
    assert_eq!(info.tags["env"], "test");
    assert!(
        !info.tags.contains_key("t"),
        "a rejected update changes nothing"
    );
    assert_eq!(info.state, ferrotrace_core::model::TraceState::Error);
}

#[test]
fn cost_is_aggregated_once_per_subtree_with_mlflows_float_sums() {
    let tracer = memory_tracer();
    let opts = RootOptions {
        start_ns: Some(1_000),
        ..RootOptions::default()
    };
    let root = tracer.start_root("root", opts);
    let cost = |i: f64, o: f64| json!({"input_cost": i, "output_cost": o, "total_cost": i + o});
    let mut spans = Vec::new();
    // Explicit start times fix the order MLflow walks the tree in, and so the float sums.
    let agent = tracer.start_child("agent", root.context(), Some(2_000));
    let l1 = tracer.start_child("l1", agent.context(), Some(3_000));
    spans.push((l1, cost(0.1, 0.2)));
    for (i, (name, c)) in [
        ("a", cost(0.1, 0.7)),
        ("b", cost(0.2, 0.3)),
        ("d", cost(0.3, 1e-9)),
    ]
    .into_iter()
    .enumerate()
    {
        spans.push((
            tracer.start_child(name, root.context(), Some(4_000 + i as u64)),
            c,
        ));
    }
    spans.push((agent, cost(1.0, 1.0)));
    for (mut s, c) in spans {
        s.set_attribute(attr::LLM_COST, RawJson::from_value(&c));
        s.end(None);
    }
    root.end(None);

    let t = only_trace(&tracer);
    // What MLflow's `aggregate_cost_from_span_nodes` gives for this tree (the agent's own cost
    // covers l1; the siblings are summed last-first, hence 0.6 and not 0.6000000000000001).
    assert_eq!(
        t.info.metadata[meta::COST],
        r#"{"input_cost": 1.6, "output_cost": 2.000000001, "total_cost": 3.6000000009999997}"#
    );
}
