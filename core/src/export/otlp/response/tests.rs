use super::*;

#[test]
fn partial_success_and_status_messages_decode() {
    let body = ExportTraceServiceResponse {
        partial_success: Some(ExportTracePartialSuccess {
            rejected_spans: 2,
            error_message: "too big".into(),
        }),
    }
    .encode_to_vec();
    assert_eq!(partial_success(&body), Some((2, "too big".into())));
    assert_eq!(partial_success(&[]), None);
    let status = RpcStatus {
        code: 3,
        message: "bad span".into(),
    }
    .encode_to_vec();
    assert_eq!(error_message(&status, true), "bad span");
    assert_eq!(error_message(b" busy \n", false), "busy");
    assert_eq!(error_message(b"", false), "no message");
}
