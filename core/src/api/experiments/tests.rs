use super::*;

#[test]
fn local_experiments_are_created_found_and_deleted() {
    let dir = tempfile::tempdir().unwrap();
    let be = Backend::Local(dir.path().to_owned());
    let tracer = Tracer::new(crate::config::Config {
        local_dir: dir.path().to_owned(),
        ..Default::default()
    });
    let run = |op: &str, args: Value| call(&tracer, &be, op, &args).unwrap();
    let id = run(
        "create_experiment",
        json!({"name": "agent", "tags": {"team": "a"}}),
    )
    .unwrap()["experiment_id"]
        .clone();
    assert_eq!(id, "1");
    let e = run("get_experiment_by_name", json!({"name": "agent"})).unwrap();
    assert_eq!(e["experiment_id"], "1");
    assert_eq!(e["tags"], json!([{"key": "team", "value": "a"}]));
    assert!(run("create_experiment", json!({"name": "agent"})).is_err());
    assert_eq!(
        run("get_experiment", json!({"experiment_id": "0"})).unwrap()["name"],
        "Default"
    );
    run("delete_experiment", json!({"experiment_id": "1"})).unwrap();
    let deleted = run("get_experiment_by_name", json!({"name": "agent"})).unwrap();
    assert_eq!(deleted["lifecycle_stage"], "deleted");
    assert_eq!(
        run("get_experiment_by_name", json!({"name": "none"})).unwrap(),
        Value::Null
    );
    let listed = run("search_experiments", json!({})).unwrap();
    assert_eq!(listed["experiments"].as_array().unwrap().len(), 1);
    assert!(call(&tracer, &be, "set_trace_tag", &json!({})).is_none());
}
