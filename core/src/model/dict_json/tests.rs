use super::*;
use crate::model::test_traces::varied_traces;
use crate::model::{RawJson, TraceDict};

fn traces() -> Vec<Trace> {
    varied_traces(400, 7)
}

#[test]
fn records_are_what_serde_writes_for_the_dict() {
    let mut out = Vec::new();
    for t in traces() {
        out.clear();
        write_trace_dict(&mut out, &t, Location::of(&t));
        assert_eq!(out, serde_json::to_vec(&TraceDict::from(&t)).unwrap());
        let mut open = TraceDict::from(&t);
        open.info.trace_location = serde_json::json!({"type": "MLFLOW_EXPERIMENT"});
        out.clear();
        write_trace_dict(&mut out, &t, Location::Unassigned);
        assert_eq!(out, serde_json::to_vec(&open).unwrap());
    }
}

#[test]
fn shared_metadata_is_written_as_if_it_had_been_added() {
    let shared = SharedMetadata::from([
        ("mlflow.source.name".to_owned(), "app \"x\".py".to_owned()),
        ("mlflow.user".to_owned(), "me".to_owned()),
        ("\u{e9}".to_owned(), String::new()),
    ]);
    let (mut out, mut want) = (Vec::new(), Vec::new());
    for t in traces() {
        out.clear();
        want.clear();
        write_trace_dict_with(&mut out, &t, &shared, Location::Unassigned);
        let mut full = t.clone();
        full.info.add_metadata(&shared);
        write_trace_dict(&mut want, &full, Location::Unassigned);
        assert_eq!(out, want);
    }
}

#[test]
fn python_sizes_are_those_of_the_dicts_in_python_form() {
    let mut sizes = Vec::new();
    for t in traces() {
        let mut dict = TraceDict::from(&t);
        dict.info.trace_location["mlflow_experiment"]["experiment_id"] = "exp \"7\"".into();
        let want: Vec<usize> = dict
            .data
            .spans
            .iter()
            .map(|s| {
                RawJson::from_value(&serde_json::to_value(s).unwrap())
                    .as_str()
                    .len()
            })
            .collect();
        dict.data.spans.clear();
        let empty = RawJson::from_value(&serde_json::to_value(&dict).unwrap());
        sizes.clear();
        let got = python_sizes(&t, &SharedMetadata::new(), "exp \"7\"", &mut sizes);
        assert_eq!((got, &sizes), (empty.as_str().len(), &want));
    }
}
