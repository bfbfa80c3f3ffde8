//! Bounded retries with exponential backoff and jitter, for requests that may succeed later
//! (transport errors, 5xx, 408, 429). A 4xx refusal is never retried.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::config::http::{MLFLOW_DEFAULT_BACKOFF_FACTOR, MLFLOW_DEFAULT_BACKOFF_JITTER};
use crate::config::HttpRetry;
use crate::error::{Error, Result};

/// Set when the process exits: retries in progress stop at their next wait, so the exit hook
/// can spill what is left instead of waiting out a backoff.
static HURRY: AtomicBool = AtomicBool::new(false);

/// Ends retrying in this process (the exit hook; also a fork child resets nothing: it exits).
pub fn stop_retrying(on: bool) {
    HURRY.store(on, Ordering::Relaxed);
}

fn hurry() -> bool {
    HURRY.load(Ordering::Relaxed)
}

/// How the wait before each retry is computed.
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub enum Backoff {
    /// ferrotrace's: `initial_backoff * 2^(n-1)`, capped at `max_backoff`, then jittered to
    /// 50-100 % of that ("equal jitter").
    #[default]
    Equal,
    /// MLflow's (urllib3's `Retry` with `backoff_jitter`): the first retry goes at once, retry
    /// `n` waits `factor * 2^(n-1)` plus a random `0..jitter`, capped at `max_backoff`.
    Mlflow { factor: Duration, jitter: Duration },
}

/// How often and how long to retry one request.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included (1 = no retry).
    pub max_attempts: u32,
    /// The wait before the first retry; doubled for each further one.
    pub initial_backoff: Duration,
    /// No computed wait is longer than this.
    pub max_backoff: Duration,
    /// No retry starts after this much time has passed since the first attempt.
    pub max_elapsed: Duration,
    /// How each wait is computed.
    pub backoff: Backoff,
    /// A server's `Retry-After` replaces the computed wait (MLflow's default).
    pub respect_retry_after: bool,
}

/// urllib3's `Retry.DEFAULT_BACKOFF_MAX`: no wait of MLflow's schedule is longer.
pub const MLFLOW_MAX_BACKOFF: Duration = Duration::from_secs(120);

impl Default for RetryPolicy {
    /// 5 attempts, waits of about 0.5, 1, 2, 4 s (jittered), nothing new after 30 s.
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 5,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(8),
            max_elapsed: Duration::from_secs(30),
            backoff: Backoff::Equal,
            respect_retry_after: true,
        }
    }
}

impl RetryPolicy {
    /// One attempt only.
    pub const NONE: RetryPolicy = RetryPolicy {
        max_attempts: 1,
        initial_backoff: Duration::ZERO,
        max_backoff: Duration::ZERO,
        max_elapsed: Duration::ZERO,
        backoff: Backoff::Equal,
        respect_retry_after: true,
    };

    /// This policy with MLflow's retry variables applied where they are set: the attempts from
    /// `MLFLOW_HTTP_REQUEST_MAX_RETRIES`, and MLflow's schedule when its backoff factor or
    /// jitter is set. The time bounds stay this policy's.
    ///
    /// ```
    /// use std::time::Duration;
    /// use ferrotrace_core::config::HttpRetry;
    /// use ferrotrace_core::export::mlflow::{Backoff, RetryPolicy};
    /// let mlflow = HttpRetry { max_retries: Some(2), backoff_factor: Some(Duration::from_secs(1)), ..Default::default() };
    /// let p = RetryPolicy::default().with_mlflow_settings(&mlflow);
    /// assert_eq!(p.max_attempts, 3);
    /// assert_eq!(p.backoff, Backoff::Mlflow { factor: Duration::from_secs(1), jitter: Duration::from_secs(1) });
    /// assert_eq!(RetryPolicy::default().with_mlflow_settings(&HttpRetry::default()), RetryPolicy::default());
    /// ```
    pub fn with_mlflow_settings(mut self, r: &HttpRetry) -> RetryPolicy {
        if let Some(n) = r.max_retries {
            self.max_attempts = n.saturating_add(1);
        }
        if r.mlflow_schedule() {
            self.backoff = Backoff::Mlflow {
                factor: r.backoff_factor.unwrap_or(MLFLOW_DEFAULT_BACKOFF_FACTOR),
                jitter: r.backoff_jitter.unwrap_or(MLFLOW_DEFAULT_BACKOFF_JITTER),
            };
            self.max_backoff = MLFLOW_MAX_BACKOFF;
        }
        self.respect_retry_after &= !r.ignore_retry_after;
        self
    }

    /// The wait before retry number `retry` (1-based), per the policy's [`Backoff`].
    /// ferrotrace's jitter spreads out clients that failed together; MLflow's adds up to
    /// `jitter` on top of its exponential wait.
    pub fn backoff(&self, retry: u32) -> Duration {
        let doubling =
            |unit: Duration| unit.saturating_mul(1u32 << (retry.saturating_sub(1)).min(20));
        match self.backoff {
            Backoff::Equal => doubling(self.initial_backoff)
                .min(self.max_backoff)
                .mul_f64(0.5 + fastrand::f64() * 0.5),
            // urllib3 waits nothing before the first retry, and adds no jitter to it.
            Backoff::Mlflow { .. } if retry <= 1 => Duration::ZERO,
            Backoff::Mlflow { factor, jitter } => doubling(factor)
                .saturating_add(jitter.mul_f64(fastrand::f64()))
                .min(self.max_backoff),
        }
    }

    /// Runs `attempt` until it succeeds, fails with an error that is not retryable, or the
    /// policy (or `deadline`) runs out; returns the last result. `on_retry` is called before
    /// each wait with the error that caused it. A server's `Retry-After` replaces the computed
    /// wait (up to 60 s); if it asks for longer than the time left, there is no retry.
    ///
    /// ```
    /// use std::time::Duration;
    /// use ferrotrace_core::export::mlflow::RetryPolicy;
    /// use ferrotrace_core::Error;
    /// let policy = RetryPolicy { initial_backoff: Duration::from_millis(1), ..Default::default() };
    /// let mut calls = 0;
    /// let out = policy.run(None, |_| {
    ///     calls += 1;
    ///     if calls < 3 {
    ///         Err(Error::Server { status: 503, request: "GET /".into(), message: "busy".into(), retry_after: None })
    ///     } else {
    ///         Ok(calls)
    ///     }
    /// }, |_, _| {});
    /// assert_eq!(out.unwrap(), 3);
    /// ```
    pub fn run<T>(
        &self,
        deadline: Option<Instant>,
        mut attempt: impl FnMut(Option<Instant>) -> Result<T>,
        mut on_retry: impl FnMut(&Error, Duration),
    ) -> Result<T> {
        let start = Instant::now();
        let give_up_at = deadline.map_or(start + self.max_elapsed, |d| {
            d.min(start + self.max_elapsed)
        });
        let mut n = 0;
        loop {
            n += 1;
            let err = match attempt(deadline) {
                Ok(v) => return Ok(v),
                Err(e) if !e.is_retryable() || n >= self.max_attempts => return Err(e),
                Err(e) => e,
            };
            let wait = match &err {
                Error::Server {
                    retry_after: Some(ra),
                    ..
                }
                | Error::Otlp {
                    retry_after: Some(ra),
                    ..
                } if self.respect_retry_after => (*ra).min(Duration::from_secs(60)),
                _ => self.backoff(n),
            };
            let now = Instant::now();
            if now + wait >= give_up_at || hurry() {
                return Err(err);
            }
            on_retry(&err, wait);
            // In short steps, so an exit does not wait out a long backoff.
            let until = now + wait;
            while let Some(left) = until.checked_duration_since(Instant::now()) {
                if hurry() {
                    return Err(err);
                }
                std::thread::sleep(left.min(Duration::from_millis(50)));
            }
        }
    }
}

/// The `Retry-After` of a response, if it has a usable one.
pub(crate) fn retry_after_header(headers: &ureq::http::HeaderMap) -> Option<Duration> {
    headers
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(parse_retry_after)
}

/// Reads a `Retry-After` header: delay-seconds, or an HTTP date (the wait until then; zero
/// when it has passed).
pub(crate) fn parse_retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(s) = value.parse::<f64>() {
        return Some(s)
            .filter(|s| s.is_finite() && *s >= 0.0)
            .map(Duration::from_secs_f64);
    }
    let at = parse_http_date(value)?;
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .ok()?
        .as_millis() as u64;
    Some(Duration::from_millis(at.saturating_sub(now)))
}

/// An HTTP date in any of RFC 9110's three forms (`Sun, 06 Nov 1994 08:49:37 GMT`,
/// `Sunday, 06-Nov-94 08:49:37 GMT`, `Sun Nov  6 08:49:37 1994`) as unix milliseconds.
fn parse_http_date(s: &str) -> Option<u64> {
    const MONTHS: [&str; 12] = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    let (mut day, mut month, mut year, mut time) = (None, None, None, None);
    for tok in s.split(|c: char| c.is_whitespace() || c == ',' || c == '-') {
        let lower = tok.to_ascii_lowercase();
        if tok.contains(':') {
            time = Some(tok);
        } else if let Some(m) = MONTHS
            .iter()
            .position(|m| lower.starts_with(m) && lower.len() == 3)
        {
            month = Some(m + 1);
        } else if let Ok(n) = tok.parse::<u32>() {
            if day.is_none() && tok.len() <= 2 && year.is_none() {
                day = Some(n);
            } else {
                // Two-digit years (RFC 850) are 19xx/20xx by the 50-year rule.
                year = Some(match (tok.len(), n) {
                    (2, n) if n < 50 => 2000 + n,
                    (2, n) => 1900 + n,
                    _ => n,
                });
            }
        }
    }
    let (day, month, year, time) = (day?, month?, year?, time?);
    crate::model::parse_rfc3339_ms(&format!("{year:04}-{month:02}-{day:02}T{time}Z"))
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let out: Result<()> = fast().with_mlflow_settings(&zero).run(
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
        let _ = fast().with_mlflow_settings(&ignore).run(
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
        let out: Result<()> = p.run(
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
        let out: Result<()> = fast().run(
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
        let out: Result<()> = fast().run(
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
        let _ = p.run(
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
        let _ = fast().run(
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
        let _ = slow.run(
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
}
