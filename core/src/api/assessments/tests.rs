use super::*;
use crate::config::Config;

fn traced(dir: &Path) -> (Tracer, String) {
    let tracer = Tracer::new(Config {
        local_dir: dir.to_owned(),
        ..Config::default()
    });
    let root = tracer.start_root("answer", Default::default());
    let id = root.context().trace_id().to_mlflow();
    root.end(None);
    (tracer, id)
}

#[test]
fn update_keeps_kind_and_name_override_marks_old_invalid() {
    let dir = tempfile::tempdir().unwrap();
    let (tracer, id) = traced(dir.path());
    let call = |op: &str, args: Value| super::super::call(&tracer, op, &args);
    let fb = json!({"assessment_name": "ok", "feedback": {"value": true}, "source": {"source_type": "CODE", "source_id": "default"}});
    let a = call("log_assessment", json!({"trace_id": id, "assessment": fb})).unwrap();
    let aid = a["assessment_id"].as_str().unwrap().to_owned();
    let u = call(
        "update_assessment",
        json!({"trace_id": id, "assessment_id": aid, "assessment": {"value": false}}),
    )
    .unwrap();
    assert_eq!(u["assessment_name"], "ok");
    assert_eq!(u["feedback"]["value"], false);
    let o = call(
        "override_feedback",
        json!({"trace_id": id, "assessment_id": aid, "assessment": {"feedback": {"value": true}}}),
    )
    .unwrap();
    assert_eq!(o["overrides"], aid.as_str());
    assert_eq!(o["assessment_name"], "ok");
    let old = call(
        "get_assessment",
        json!({"trace_id": id, "assessment_id": aid}),
    )
    .unwrap();
    assert_eq!(old["valid"], false);
    let ex = json!({"assessment_name": "truth", "expectation": {"value": 1}});
    let e = call("log_assessment", json!({"trace_id": id, "assessment": ex})).unwrap();
    let eid = e["assessment_id"].as_str().unwrap();
    let bad = call(
        "override_feedback",
        json!({"trace_id": id, "assessment_id": eid, "assessment": {"feedback": {"value": 1}}}),
    );
    assert!(matches!(bad, Err(Error::InvalidArgument(m)) if m.contains("not a feedback")));
    let u = call(
        "update_assessment",
        json!({"trace_id": id, "assessment_id": eid, "assessment": {"value": 2}}),
    )
    .unwrap();
    assert_eq!(u["expectation"]["value"], 2);
    assert!(call(
        "update_assessment",
        json!({"trace_id": id, "assessment_id": eid, "assessment": {"error": {"error_code": "X"}}})
    )
    .is_err());
}
