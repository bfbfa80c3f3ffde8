//! Crashes the fuzzers found (`make fuzz`), kept as plain tests. The inputs themselves are also
//! replayed through the fuzz checks by fuzz_regressions.rs.

use ferrotrace_core::model::{parse_rfc3339_ms, rfc3339_ms};

/// traceparent target: a request time before 1970 (`6-11-25T...`) overflowed
/// `days * 86_400` (a panic in debug builds, a wrong time in release ones); so did hours past
/// 2^64 / 3600, and a non-digit fraction could slice through a character.
#[test]
fn request_times_out_of_range_are_refused_not_overflowed() {
    for bad in [
        "6-11-25T12:02:09:26.743Z",
        "1969-12-31T23:59:59.999Z",
        "2026-11-25T18446744073709551615:00:00Z",
        "2026-11-25T12:09:26.a€Z",
        "2026-13-25T12:09:26Z",
        "2026-11-25T24:00:00Z",
        "10000-01-01T00:00:00Z",
        "2026-11-25-1T00:00:00Z",
    ] {
        assert_eq!(parse_rfc3339_ms(bad), None, "{bad}");
    }
    for ms in [0, 1_795_608_566_743, 253_402_300_799_999] {
        assert_eq!(parse_rfc3339_ms(&rfc3339_ms(ms)), Some(ms));
    }
    assert_eq!(
        parse_rfc3339_ms("2026-11-25T12:09:26Z"),
        Some(1_795_608_566_000)
    );
}
