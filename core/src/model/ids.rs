//! Trace and span ids, MLflow's `tr-<32 hex>` form and W3C `traceparent`.

use std::fmt;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;

/// A 128-bit trace id. MLflow shows it as `tr-` + 32 lowercase hex digits.
///
/// ```
/// use ferrotrace_core::model::TraceId;
/// let id = TraceId(0xe675b48826079ec2382f73b81044c153);
/// assert_eq!(id.to_mlflow(), "tr-e675b48826079ec2382f73b81044c153");
/// assert_eq!(TraceId::parse("tr-e675b48826079ec2382f73b81044c153"), Some(id));
/// assert_eq!(&id.mlflow_bytes()[..], id.to_mlflow().as_bytes());
/// assert_eq!(&id.base64_bytes()[..], id.to_base64().as_bytes());
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct TraceId(pub u128);

/// A 64-bit span id, shown as 16 lowercase hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct SpanId(pub u64);

/// Prefix of MLflow V3 trace ids.
pub const TRACE_ID_PREFIX: &str = "tr-";

impl TraceId {
    /// A fresh random, non-zero trace id.
    #[inline]
    pub fn random() -> Self {
        loop {
            let id = fastrand::u128(..);
            if id != 0 {
                return TraceId(id);
            }
        }
    }

    /// A fresh trace id that sorts by start time: the high 48 bits are the start's Unix
    /// milliseconds and the next 16 a per-thread sequence within that millisecond; the low 64
    /// bits stay random (sampling reads them, and W3C Trace Context asks for randomness in the
    /// rightmost bytes). MLflow's server orders traces that start in the same millisecond by id,
    /// and a traced call here can take well under one: ordered ids keep such traces of one thread
    /// in the order they started (`order_by=["timestamp ASC"]` lists a conversation's turns in
    /// order).
    ///
    /// ```
    /// use ferrotrace_core::model::TraceId;
    /// let ms = 1_700_000_000_000u64;
    /// let (a, b) = (TraceId::ordered(ms * 1_000_000), TraceId::ordered(ms * 1_000_000 + 5));
    /// assert!(a < b);
    /// assert_eq!((a.0 >> 80) as u64, ms);
    /// ```
    #[inline]
    pub fn ordered(start_ns: u64) -> Self {
        use std::cell::Cell;
        thread_local! {
            // (millisecond, sequence) of this thread's last ordered id.
            static LAST: Cell<(u64, u16)> = const { Cell::new((0, 0)) };
        }
        let ms = (start_ns / 1_000_000) & 0xffff_ffff_ffff;
        let seq = LAST.with(|last| {
            let (last_ms, last_seq) = last.get();
            // A new millisecond starts its sequence at a random point of the lower half: ids of
            // threads that start traces in the same millisecond interleave instead of colliding
            // on their high bits, with room for 32,768 more traces of this thread in that ms.
            let seq = if last_ms == ms {
                last_seq.saturating_add(1)
            } else {
                fastrand::u16(..0x8000)
            };
            last.set((ms, seq));
            seq
        });
        let high = (u128::from(ms) << 16 | u128::from(seq)) << 64;
        loop {
            let low = fastrand::u64(..);
            if low != 0 {
                return TraceId(high | u128::from(low));
            }
        }
    }

    /// 32 lowercase hex digits.
    pub fn to_hex(self) -> String {
        hex_string("", &self.0.to_be_bytes())
    }

    /// `tr-` + 32 hex digits: the id MLflow's server derives from the OTLP trace id.
    pub fn to_mlflow(self) -> String {
        hex_string(TRACE_ID_PREFIX, &self.0.to_be_bytes())
    }

    /// [`TraceId::to_mlflow`] as ASCII bytes (exporters write ids straight into their buffers).
    pub fn mlflow_bytes(self) -> [u8; 35] {
        let mut out = [0u8; 35];
        out[..3].copy_from_slice(TRACE_ID_PREFIX.as_bytes());
        hex_into(&mut out[3..], &self.0.to_be_bytes());
        out
    }

    /// Big-endian bytes, as OTLP carries them.
    pub fn to_bytes(self) -> [u8; 16] {
        self.0.to_be_bytes()
    }

    /// Base64 of the bytes, as MLflow's stored span dicts carry ids.
    pub fn to_base64(self) -> String {
        B64.encode(self.to_bytes())
    }

    /// [`TraceId::to_base64`] as ASCII bytes.
    pub fn base64_bytes(self) -> [u8; 24] {
        let mut out = [b'='; 24];
        base64_into(&mut out, &self.to_bytes());
        out
    }

    /// Parses `tr-<32 hex>` or bare 32 hex. Zero is not a valid id.
    pub fn parse(s: &str) -> Option<Self> {
        let hex = s.strip_prefix(TRACE_ID_PREFIX).unwrap_or(s);
        parse_hex::<16>(hex)
            .map(u128::from_be_bytes)
            .filter(|v| *v != 0)
            .map(TraceId)
    }

    /// Parses the base64 form of a stored span dict.
    pub fn from_base64(s: &str) -> Option<Self> {
        let bytes: [u8; 16] = B64.decode(s).ok()?.try_into().ok()?;
        Some(TraceId(u128::from_be_bytes(bytes)))
    }
}

impl SpanId {
    /// A fresh random, non-zero span id.
    #[inline]
    pub fn random() -> Self {
        loop {
            let id = fastrand::u64(..);
            if id != 0 {
                return SpanId(id);
            }
        }
    }

    /// 16 lowercase hex digits.
    pub fn to_hex(self) -> String {
        hex_string("", &self.0.to_be_bytes())
    }

    /// [`SpanId::to_hex`] as ASCII bytes.
    pub fn hex_bytes(self) -> [u8; 16] {
        let mut out = [0u8; 16];
        hex_into(&mut out, &self.0.to_be_bytes());
        out
    }

    /// Big-endian bytes, as OTLP carries them.
    pub fn to_bytes(self) -> [u8; 8] {
        self.0.to_be_bytes()
    }

    /// Base64 of the bytes, as MLflow's stored span dicts carry ids.
    pub fn to_base64(self) -> String {
        B64.encode(self.to_bytes())
    }

    /// [`SpanId::to_base64`] as ASCII bytes.
    pub fn base64_bytes(self) -> [u8; 12] {
        let mut out = [b'='; 12];
        base64_into(&mut out, &self.to_bytes());
        out
    }

    /// Parses 16 hex digits. Zero is not a valid id.
    pub fn parse(s: &str) -> Option<Self> {
        parse_hex::<8>(s)
            .map(u64::from_be_bytes)
            .filter(|v| *v != 0)
            .map(SpanId)
    }

    /// Parses the base64 form of a stored span dict.
    pub fn from_base64(s: &str) -> Option<Self> {
        let bytes: [u8; 8] = B64.decode(s).ok()?.try_into().ok()?;
        Some(SpanId(u64::from_be_bytes(bytes)))
    }
}

impl fmt::Debug for TraceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{TRACE_ID_PREFIX}{:032x}", self.0)
    }
}
impl fmt::Display for TraceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{TRACE_ID_PREFIX}{:032x}", self.0)
    }
}
impl fmt::Debug for SpanId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}
impl fmt::Display for SpanId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

/// `prefix` + lowercase hex of `bytes`, without the formatter machinery (ids are formatted for
/// every span the bindings read and every span exported).
fn hex_string(prefix: &str, bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(prefix.len() + bytes.len() * 2);
    out.push_str(prefix);
    for &b in bytes {
        out.push(DIGITS[usize::from(b >> 4)] as char);
        out.push(DIGITS[usize::from(b & 0xf)] as char);
    }
    out
}

/// Lowercase hex of `bytes` into `out` (twice as long).
fn hex_into(out: &mut [u8], bytes: &[u8]) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for (pair, &b) in out.chunks_exact_mut(2).zip(bytes) {
        pair[0] = DIGITS[usize::from(b >> 4)];
        pair[1] = DIGITS[usize::from(b & 0xf)];
    }
}

/// Standard base64 of `bytes` into `out`, which holds the padding (`=`) already: for the fixed
/// id sizes, without the general encoder's setup.
fn base64_into(out: &mut [u8], bytes: &[u8]) {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (quad, group) in out.chunks_mut(4).zip(bytes.chunks(3)) {
        let n = group
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
        for (i, c) in quad.iter_mut().take(group.len() + 1).enumerate() {
            *c = ALPHABET[(n >> (18 - 6 * i)) as usize & 63];
        }
    }
}

fn parse_hex<const N: usize>(s: &str) -> Option<[u8; N]> {
    let b = s.as_bytes();
    if b.len() != N * 2 {
        return None;
    }
    let mut out = [0u8; N];
    for (i, pair) in b.chunks_exact(2).enumerate() {
        let hi = (pair[0] as char).to_digit(16)?;
        let lo = (pair[1] as char).to_digit(16)?;
        out[i] = (hi * 16 + lo) as u8;
    }
    Some(out)
}

/// A W3C Trace Context `traceparent`: `00-<32 hex trace>-<16 hex parent>-<2 hex flags>`.
///
/// ```
/// use ferrotrace_core::model::TraceParent;
/// let tp = TraceParent::parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01").unwrap();
/// assert!(tp.sampled);
/// assert_eq!(tp.to_string(), "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TraceParent {
    pub trace_id: TraceId,
    pub parent_id: SpanId,
    pub sampled: bool,
}

impl TraceParent {
    /// Parses a `traceparent` header value. Unknown future versions are read by the version-00
    /// rules, as the W3C spec asks; version `ff`, zero ids and malformed fields are rejected.
    pub fn parse(header: &str) -> Option<Self> {
        let header = header.trim();
        let mut parts = header.split('-');
        let version = parts.next()?;
        let trace = parts.next()?;
        let parent = parts.next()?;
        let flags = parts.next()?;
        let version = parse_hex::<1>(version)?[0];
        if version == 0xff || (version == 0 && parts.next().is_some()) {
            return None;
        }
        if trace.bytes().any(|c| c.is_ascii_uppercase())
            || parent.bytes().any(|c| c.is_ascii_uppercase())
        {
            return None;
        }
        let trace_id = TraceId(u128::from_be_bytes(parse_hex::<16>(trace)?));
        let parent_id = SpanId(u64::from_be_bytes(parse_hex::<8>(parent)?));
        let flags = parse_hex::<1>(flags)?[0];
        if trace_id.0 == 0 || parent_id.0 == 0 {
            return None;
        }
        Some(TraceParent {
            trace_id,
            parent_id,
            sampled: flags & 1 == 1,
        })
    }
}

impl fmt::Display for TraceParent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "00-{:032x}-{:016x}-{:02x}",
            self.trace_id.0,
            self.parent_id.0,
            u8::from(self.sampled)
        )
    }
}

/// Reseeds this thread's id generator. Called in a forked child, whose copied generator state
/// would otherwise mint the same ids as its parent and siblings.
pub fn reseed_ids() {
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    let pid = u64::from(std::process::id());
    fastrand::seed(t ^ pid.rotate_left(32) ^ fastrand::u64(..));
}

#[cfg(test)]
mod tests;
