//! A whole trace: its info (MLflow's `TraceInfoV3`) and its spans.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::{SpanRecord, TraceId};

/// MLflow's trace state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum TraceState {
    #[default]
    Unspecified,
    Ok,
    Error,
    InProgress,
}

impl TraceState {
    pub fn as_str(self) -> &'static str {
        match self {
            TraceState::Unspecified => "STATE_UNSPECIFIED",
            TraceState::Ok => "OK",
            TraceState::Error => "ERROR",
            TraceState::InProgress => "IN_PROGRESS",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_uppercase().as_str() {
            "OK" => Some(TraceState::Ok),
            "ERROR" => Some(TraceState::Error),
            "IN_PROGRESS" => Some(TraceState::InProgress),
            "STATE_UNSPECIFIED" => Some(TraceState::Unspecified),
            _ => None,
        }
    }
}

/// Trace-level data: everything MLflow keeps in `trace_info`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TraceInfo {
    pub trace_id: TraceId,
    /// `None` until a destination assigns one; the local store writes `"0"` (MLflow's Default).
    pub experiment_id: Option<String>,
    pub request_time_ms: u64,
    pub execution_duration_ms: u64,
    pub state: TraceState,
    pub request_preview: Option<String>,
    pub response_preview: Option<String>,
    pub client_request_id: Option<String>,
    pub metadata: BTreeMap<String, String>,
    pub tags: BTreeMap<String, String>,
}

/// Metadata that every trace of a batch carries besides its own `info.metadata` (the
/// process's: source, user, git), kept apart so that each trace does not own a copy of it. A
/// key a trace has itself keeps that trace's value.
pub type SharedMetadata = BTreeMap<String, String>;

impl TraceInfo {
    /// `metadata` with `shared` added under it (its own value wins), in key order: what
    /// [`TraceInfo::add_metadata`] would leave in `metadata`, without copying anything.
    ///
    /// ```
    /// use ferrotrace_core::model::{SharedMetadata, TraceInfo};
    /// let mut info = TraceInfo::default();
    /// info.metadata.insert("b".into(), "own".into());
    /// let shared = SharedMetadata::from([("a".into(), "1".into()), ("b".into(), "2".into())]);
    /// let seen: Vec<_> = info.metadata_with(&shared).map(|(k, v)| format!("{k}={v}")).collect();
    /// assert_eq!(seen, ["a=1", "b=own"]);
    /// info.add_metadata(&shared);
    /// assert_eq!(info.metadata.len(), 2);
    /// ```
    pub fn metadata_with<'a>(
        &'a self,
        shared: &'a SharedMetadata,
    ) -> impl Iterator<Item = (&'a String, &'a String)> + 'a {
        let (mut own, mut other) = (self.metadata.iter().peekable(), shared.iter().peekable());
        std::iter::from_fn(move || match (own.peek(), other.peek()) {
            (Some(a), Some(b)) if b.0 < a.0 => other.next(),
            (Some(a), Some(b)) if b.0 == a.0 => {
                other.next();
                own.next()
            }
            (Some(_), _) => own.next(),
            (None, _) => other.next(),
        })
    }

    /// Copies `shared` into `metadata`; keys it already has keep their value.
    pub fn add_metadata(&mut self, shared: &SharedMetadata) {
        for (k, v) in shared {
            if !self.metadata.contains_key(k) {
                self.metadata.insert(k.clone(), v.clone());
            }
        }
    }
}

/// A trace's spans: up to four inline, so a small trace is sealed without allocating its list
/// (the export worker frees it, and a free on another thread leaves the application thread's
/// malloc cache empty: each such allocation costs it ~190 instructions).
pub type SpanList = smallvec::SmallVec<[Arc<SpanRecord>; 4]>;

/// A sealed trace as it travels from the tracer to the exporters.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Trace {
    pub info: TraceInfo,
    /// In end order as sealed; finalizing sorts them by start, as MLflow lists them. The root is
    /// the span without a parent (or with a remote parent).
    pub spans: SpanList,
}

impl Trace {
    /// The root span: the earliest-starting span whose parent is not in this trace.
    pub fn root(&self) -> Option<&SpanRecord> {
        root_span(&self.spans)
    }
}

/// The root among `spans` (see [`Trace::root`]).
///
/// ```
/// use std::sync::Arc;
/// use ferrotrace_core::model::{root_span, SpanId, SpanRecord};
/// let root = SpanRecord { span_id: SpanId(1), start_ns: 5, ..Default::default() };
/// let child = SpanRecord { span_id: SpanId(2), parent_id: Some(SpanId(1)), start_ns: 6, ..Default::default() };
/// assert_eq!(root_span(&[Arc::new(child), Arc::new(root)]).unwrap().span_id, SpanId(1));
/// ```
pub fn root_span(spans: &[Arc<SpanRecord>]) -> Option<&SpanRecord> {
    // Among spans whose parent is not in the trace, the earliest: the true root starts before
    // all its descendants, also before a child whose own parent never ended (and so is
    // missing). Independent of the order the spans are listed in.
    spans
        .iter()
        .filter(|s| {
            s.parent_id
                .is_none_or(|p| !spans.iter().any(|o| o.span_id == p))
        })
        .min_by_key(|s| s.start_ns)
        .map(|s| s.as_ref())
}

/// Formats unix milliseconds as RFC 3339 with milliseconds, as MLflow does (`2026-11-25T12:09:26.743Z`).
///
/// ```
/// assert_eq!(ferrotrace_core::model::rfc3339_ms(1795608566743), "2026-11-25T12:09:26.743Z");
/// ```
pub fn rfc3339_ms(ms: u64) -> String {
    let mut out = Vec::with_capacity(24);
    push_rfc3339_ms(&mut out, ms);
    String::from_utf8(out).unwrap_or_default()
}

/// Appends [`rfc3339_ms`] to a byte buffer (exporters write it straight in, no formatter).
///
/// ```
/// let mut out = b"at ".to_vec();
/// ferrotrace_core::model::push_rfc3339_ms(&mut out, 1795608566743);
/// assert_eq!(out, b"at 2026-11-25T12:09:26.743Z");
/// ```
pub fn push_rfc3339_ms(out: &mut Vec<u8>, ms: u64) {
    match rfc3339_ms_bytes(ms) {
        Some(b) => out.extend_from_slice(&b),
        // Past year 9999 (no clock gives that): the formatter, which widens the year.
        None => out.extend_from_slice(formatted_rfc3339_ms(ms).as_bytes()),
    }
}

/// [`rfc3339_ms`] through the formatter.
fn formatted_rfc3339_ms(ms: u64) -> String {
    let (y, m, d) = civil_from_days((ms / 1000 / 86_400) as i64);
    let rem = ms / 1000 % 86_400;
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60,
        ms % 1000
    )
}

/// [`rfc3339_ms`] as bytes, for years 0 to 9999.
pub(crate) fn rfc3339_ms_bytes(ms: u64) -> Option<[u8; 24]> {
    let secs = ms / 1000;
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (y, m, d) = civil_from_days(days as i64);
    if !(0..=9999).contains(&y) {
        return None;
    }
    let mut b = *b"0000-00-00T00:00:00.000Z";
    let mut put = |at: usize, width: usize, mut v: u64| {
        for i in (at..at + width).rev() {
            b[i] = b'0' + (v % 10) as u8;
            v /= 10;
        }
    };
    put(0, 4, y as u64);
    put(5, 2, u64::from(m));
    put(8, 2, u64::from(d));
    put(11, 2, rem / 3600);
    put(14, 2, (rem % 3600) / 60);
    put(17, 2, rem % 60);
    put(20, 3, ms % 1000);
    Some(b)
}

/// Parses what [`rfc3339_ms`] writes (and the same without fraction, or with other precision).
/// Text read back from a store may be anything: a date before 1970 or after 9999, a field out of
/// its range, or a fraction that is not digits is `None`, never an overflow.
pub fn parse_rfc3339_ms(s: &str) -> Option<u64> {
    let s = s.strip_suffix('Z')?;
    let (date, time) = s.split_once('T')?;
    let mut dp = date.split('-').map(|p| p.parse::<i64>().ok());
    let (y, m, d) = (dp.next()??, dp.next()??, dp.next()??);
    if dp.next().is_some() || !(1970..=9999).contains(&y) || !(1..=12).contains(&m) {
        return None;
    }
    if !(1..=31).contains(&d) {
        return None;
    }
    let (hms, frac) = time.split_once('.').unwrap_or((time, ""));
    let mut tp = hms.split(':').map(|p| p.parse::<u64>().ok());
    let (hh, mm, ss) = (tp.next()??, tp.next()??, tp.next()??);
    if tp.next().is_some() || hh > 23 || mm > 59 || ss > 60 {
        return None;
    }
    if !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let ms_frac = if frac.is_empty() {
        0
    } else {
        format!("{frac:0<3}")[..3].parse::<u64>().ok()?
    };
    let days = u64::try_from(days_from_civil(y, m, d)).ok()?;
    Some((days * 86_400 + hh * 3600 + mm * 60 + ss) * 1000 + ms_frac)
}

// Howard Hinnant's civil-date algorithms: no calendar crate for two functions.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests;
