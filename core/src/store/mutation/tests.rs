use super::*;
use serde_json::json;

fn m(at: u64, op: Op) -> Mutation {
    Mutation {
        ft_mutation: 1,
        trace_id: "tr-1".into(),
        at_ns: at,
        op,
    }
}

#[test]
fn payload_starts_with_the_marker_and_round_trips() {
    let x = m(
        5,
        Op::SetTag {
            key: "k".into(),
            value: "v".into(),
        },
    );
    let p = x.to_payload();
    assert!(is_mutation(&p), "{}", String::from_utf8_lossy(&p));
    assert_eq!(serde_json::from_slice::<Mutation>(&p).unwrap(), x);
    assert!(!is_mutation(br#"{"info": {}}"#));
}

#[test]
fn later_changes_win_whatever_the_read_order() {
    let a = json!({"assessment_id": "a-1", "assessment_name": "x", "feedback": {"value": 1}});
    let b = json!({"assessment_id": "a-2", "assessment_name": "x", "feedback": {"value": 2}, "overrides": "a-1"});
    let ms = [
        m(3, Op::DeleteTag { key: "gone".into() }),
        m(
            1,
            Op::SetTag {
                key: "gone".into(),
                value: "1".into(),
            },
        ),
        m(
            2,
            Op::SetTag {
                key: "k".into(),
                value: "v".into(),
            },
        ),
        m(4, Op::Assessment { assessment: a }),
        m(5, Op::Assessment { assessment: b }),
    ];
    let f = &fold(ms.iter())["tr-1"];
    let stored = BTreeMap::from([("gone".to_owned(), "old".to_owned())]);
    assert_eq!(
        f.tags_over(&stored),
        BTreeMap::from([("k".to_owned(), "v".to_owned())])
    );
    assert_eq!(f.assessments.len(), 2);
    assert_eq!(f.assessments[0]["valid"], false);
    let f = &fold(ms.iter().chain([&m(
        9,
        Op::DeleteAssessment {
            assessment_id: "a-2".into(),
        },
    )]))["tr-1"];
    assert_eq!(f.assessments.len(), 1);
}
