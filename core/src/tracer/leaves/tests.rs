use super::*;
use crate::config::Config;

#[test]
fn the_size_estimate_is_the_queues_for_the_trace_built() {
    // The queue's byte bound must count a leaf as it counts the same trace sealed whole.
    let tracer = Tracer::new(Config {
        memory: true,
        ..Config::default()
    });
    let (name, ty) = (SpanName::from("lookup"), RawJson::string("RETRIEVER"));
    let text = format!("{}{}", r#"{"q":"x"}"#, "[1,2,3]".repeat(20));
    let spec = LeafSpec {
        parent: None,
        name: &name,
        span_type: &ty,
        start_ns: 1,
        end_ns: 9,
        inputs: 0..9,
        outputs: 9..text.len(),
    };
    let batch = tracer.record_leaves(text.clone(), [spec]).unwrap();
    assert_eq!(
        batch.estimate_bytes(0),
        crate::pipeline::estimate_bytes(&batch.trace(0))
    );
}
