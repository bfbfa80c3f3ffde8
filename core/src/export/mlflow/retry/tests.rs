use super::*;

impl RetryPolicy {
    /// [`RetryPolicy::run`] with a synchronous attempt, to completion.
    fn run_sync<T>(
        &self,
        deadline: Option<Instant>,
        mut attempt: impl FnMut(Option<Instant>) -> Result<T>,
        on_retry: impl FnMut(&Error, Duration),
    ) -> Result<T> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        let d = Deadline::default();
        d.set(deadline);
        rt.block_on(self.run(&d, |d| std::future::ready(attempt(d)), on_retry))
    }
}

fn server_error(retry_after: Option<Duration>) -> Error {
    Error::Server {
        status: 503,
        request: "POST /v1/traces".into(),
        message: "busy".into(),
        retry_after,
    }
}

fn fast() -> RetryPolicy {
    RetryPolicy {
        initial_backoff: Duration::from_millis(2),
        max_backoff: Duration::from_millis(20),
        ..Default::default()
    }
}

#[test]
fn backoff_doubles_with_jitter_and_is_capped() {
    let p = RetryPolicy::default();
    for retry in 1..=8 {
        let base = (500u64 << (retry - 1)).min(8000);
        let b = p.backoff(retry).as_millis() as u64;
        assert!(b >= base / 2 && b <= base, "retry {retry}: {b} vs {base}");
    }
}

#[test]
fn mlflow_schedule_is_urllib3s_with_jitter_on_top() {
    let p = RetryPolicy::default().with_mlflow_settings(&HttpRetry {
        backoff_factor: Some(Duration::from_secs(2)),
        backoff_jitter: Some(Duration::from_millis(500)),
        ..Default::default()
    });
    // The first retry at once, then 2f, 4f, 8f... plus 0..jitter, never past 120 s.
    assert_eq!(p.backoff(1), Duration::ZERO);
    for retry in 2..=9u32 {
        let base = (2000u64 << (retry - 1)).min(120_000);
        let b = p.backoff(retry).as_millis() as u64;
        assert!(
            b >= base && b <= (base + 500).min(120_000),
            "retry {retry}: {b} vs {base}"
        );
    }
    // MLflow's defaults fill in what is not set: factor 2 s, jitter 1 s.
    let jitter_only = RetryPolicy::default().with_mlflow_settings(&HttpRetry {
        backoff_jitter: Some(Duration::ZERO),
        ..Default::default()
    });
    assert_eq!(jitter_only.backoff(3), Duration::from_secs(8));
    assert_eq!(
        jitter_only.backoff,
        Backoff::Mlflow {
            factor: Duration::from_secs(2),
            jitter: Duration::ZERO
        }
    );
    // A zero factor retries at once, as MLflow does.
    let none = RetryPolicy::default().with_mlflow_settings(&HttpRetry {
        backoff_factor: Some(Duration::ZERO),
        backoff_jitter: Some(Duration::ZERO),
        ..Default::default()
    });
    assert!((1..=9).all(|r| none.backoff(r).is_zero()));
}

#[test]
fn max_retries_bounds_attempts_and_retry_after_can_be_ignored() {
    let zero = HttpRetry {
        max_retries: Some(0),
        ..Default::default()
    };
    let mut calls = 0;
    let out: Result<()> = fast().with_mlflow_settings(&zero).run_sync(
        None,
        |_| {
            calls += 1;
            Err(server_error(None))
        },
        |_, _| {},
    );
    assert!(out.is_err());
    assert_eq!(calls, 1);
    // MLFLOW_HTTP_RESPECT_RETRY_AFTER_HEADER=false: the schedule's wait, not the server's.
    let ignore = HttpRetry {
        ignore_retry_after: true,
        ..Default::default()
    };
    let mut waits = Vec::new();
    let mut calls = 0;
    let _ = fast().with_mlflow_settings(&ignore).run_sync(
        None,
        |_| -> Result<()> {
            calls += 1;
            if calls == 1 {
                Err(server_error(Some(Duration::from_secs(5))))
            } else {
                Ok(())
            }
        },
        |_, w| waits.push(w),
    );
    assert_eq!(waits.len(), 1);
    assert!(waits[0] <= Duration::from_millis(2), "{waits:?}");
}

#[test]
fn a_deadline_still_bounds_mlflows_long_waits() {
    // Factor 100 s: the second retry would wait 200 s (capped at 120); the exit deadline
    // ends the retries instead of waiting.
    let p = RetryPolicy {
        max_attempts: u32::MAX,
        max_elapsed: Duration::from_secs(3600),
        ..RetryPolicy::default()
    }
    .with_mlflow_settings(&HttpRetry {
        max_retries: Some(9),
        backoff_factor: Some(Duration::from_secs(100)),
        backoff_jitter: Some(Duration::ZERO),
        ..Default::default()
    });
    assert_eq!(p.max_attempts, 10);
    let started = Instant::now();
    let mut calls = 0;
    let out: Result<()> = p.run_sync(
        Some(started + Duration::from_millis(300)),
        |_| {
            calls += 1;
            Err(server_error(None))
        },
        |_, _| {},
    );
    assert!(out.is_err());
    // The first retry goes at once; the second's wait passes the deadline.
    assert_eq!(calls, 2);
    assert!(started.elapsed() < Duration::from_millis(250));
}

#[test]
fn retryable_errors_retry_up_to_max_attempts() {
    let (mut calls, mut retries) = (0, 0);
    let out: Result<()> = fast().run_sync(
        None,
        |_| {
            calls += 1;
            Err(server_error(None))
        },
        |_, _| retries += 1,
    );
    assert!(out.is_err());
    assert_eq!((calls, retries), (5, 4));
}

#[test]
fn refusals_are_not_retried() {
    let mut calls = 0;
    let out: Result<()> = fast().run_sync(
        None,
        |_| {
            calls += 1;
            Err(Error::Rejected {
                status: 400,
                request: "x".into(),
                code: None,
                message: "bad".into(),
            })
        },
        |_, _| {},
    );
    assert!(matches!(out, Err(Error::Rejected { .. })));
    assert_eq!(calls, 1);
}

#[test]
fn time_bounds_hold_and_retry_after_is_honoured() {
    // A Retry-After longer than the budget ends the retries at once.
    let p = RetryPolicy {
        max_elapsed: Duration::from_millis(200),
        ..fast()
    };
    let started = Instant::now();
    let mut calls = 0;
    let _ = p.run_sync(
        None,
        |_| -> Result<()> {
            calls += 1;
            Err(server_error(Some(Duration::from_secs(5))))
        },
        |_, _| {},
    );
    assert_eq!(calls, 1);
    assert!(started.elapsed() < Duration::from_millis(150));
    // A short Retry-After is waited for.
    let mut waits = Vec::new();
    let mut calls = 0;
    let _ = fast().run_sync(
        None,
        |_| -> Result<()> {
            calls += 1;
            if calls == 1 {
                Err(server_error(Some(Duration::from_millis(30))))
            } else {
                Ok(())
            }
        },
        |_, w| waits.push(w),
    );
    assert_eq!(waits, vec![Duration::from_millis(30)]);
    // A deadline shorter than the policy wins.
    let started = Instant::now();
    let slow = RetryPolicy {
        initial_backoff: Duration::from_millis(40),
        max_backoff: Duration::from_millis(40),
        max_attempts: 100,
        max_elapsed: Duration::from_secs(30),
        backoff: Backoff::Equal,
        respect_retry_after: true,
    };
    let _ = slow.run_sync(
        Some(started + Duration::from_millis(150)),
        |_| -> Result<()> { Err(server_error(None)) },
        |_, _| {},
    );
    assert!(
        started.elapsed() < Duration::from_millis(200),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn retry_after_parses_seconds_and_http_dates() {
    assert_eq!(parse_retry_after(" 3 "), Some(Duration::from_secs(3)));
    assert_eq!(parse_retry_after("-1"), None);
    // A date in the past: retry now.
    assert_eq!(
        parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"),
        Some(Duration::ZERO)
    );
    let at = parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT").unwrap();
    assert_eq!(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"), Some(at));
    assert_eq!(parse_http_date("Sun Nov  6 08:49:37 1994"), Some(at));
    assert_eq!(at, 784_111_777_000);
    assert_eq!(parse_http_date("soon"), None);
    // A date ahead: the wait until then.
    let ahead = SystemTime::now() + Duration::from_secs(120);
    let secs = ahead.duration_since(UNIX_EPOCH).unwrap().as_secs();
    let text = http_date(secs);
    let wait = parse_retry_after(&text).unwrap();
    assert!(
        wait > Duration::from_secs(100) && wait <= Duration::from_secs(120),
        "{text} {wait:?}"
    );
}

fn http_date(secs: u64) -> String {
    // rfc3339 -> IMF-fixdate, enough for the test.
    let r = crate::model::rfc3339_ms(secs * 1000);
    let (y, mo, d, t) = (&r[0..4], &r[5..7], &r[8..10], &r[11..19]);
    let months = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    format!(
        "Thu, {d} {} {y} {t} GMT",
        months[mo.parse::<usize>().unwrap() - 1]
    )
}
