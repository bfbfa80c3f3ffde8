//! Bounded retries with exponential backoff and jitter, for requests that may succeed later
//! (transport errors, 5xx, 408, 429). A 4xx refusal is never retried.

use std::future::Future;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::config::http::{MLFLOW_DEFAULT_BACKOFF_FACTOR, MLFLOW_DEFAULT_BACKOFF_JITTER};
use crate::config::HttpRetry;
use crate::error::{Error, Result};
use crate::export::Deadline;

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
    /// policy (or `deadline`) runs out; returns the last result. `attempt` is given the deadline
    /// as it is when it starts. `on_retry` is called before each wait with the error that caused
    /// it. A server's `Retry-After` replaces the computed wait (up to 60 s); if it asks for
    /// longer than the time left, there is no retry. A deadline set (or moved closer) while this
    /// runs, by a flush or the exit on another thread, ends the wait in progress: this is the
    /// one way retries are cut short.
    ///
    /// ```
    /// use std::time::Duration;
    /// use ferrotrace_core::export::{mlflow::RetryPolicy, Deadline};
    /// use ferrotrace_core::Error;
    /// let policy = RetryPolicy { initial_backoff: Duration::from_millis(1), ..Default::default() };
    /// let mut calls = 0;
    /// let rt = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
    /// let out = rt.block_on(policy.run(&Deadline::default(), |_| {
    ///     calls += 1;
    ///     std::future::ready(if calls < 3 {
    ///         Err(Error::Server { status: 503, request: "GET /".into(), message: "busy".into(), retry_after: None })
    ///     } else {
    ///         Ok(calls)
    ///     })
    /// }, |_, _| {}));
    /// assert_eq!(out.unwrap(), 3);
    /// ```
    pub async fn run<T, F: Future<Output = Result<T>>>(
        &self,
        deadline: &Deadline,
        mut attempt: impl FnMut(Option<Instant>) -> F,
        mut on_retry: impl FnMut(&Error, Duration),
    ) -> Result<T> {
        let start = Instant::now();
        let budget_end = start + self.max_elapsed;
        let give_up_at = || deadline.get().map_or(budget_end, |d| d.min(budget_end));
        let mut n = 0;
        loop {
            n += 1;
            let err = match attempt(deadline.get()).await {
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
            if now + wait >= give_up_at() {
                return Err(err);
            }
            on_retry(&err, wait);
            // In short steps, so a deadline set meanwhile (the exit) does not wait out a
            // long backoff.
            let until = now + wait;
            while let Some(left) = until.checked_duration_since(Instant::now()) {
                if until >= give_up_at() {
                    return Err(err);
                }
                tokio::time::sleep(left.min(Duration::from_millis(50))).await;
            }
        }
    }
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
mod tests;
