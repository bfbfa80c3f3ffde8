//! Python's `repr(float)`, which `json.dumps` writes: the shortest digits that read back as the
//! same float, fixed notation from 1e-4 up to 1e16, `d.ddde±XX` outside.

/// Appends a float the way Python's `repr(float)` (and so `json.dumps`) writes it.
///
/// ```
/// let mut s = String::new();
/// for x in [0.1, 1.0, 1e16, 1.5e-7, -2.5, f64::NAN] {
///     ferrotrace_core::model::json::push_f64(&mut s, x);
///     s.push(' ');
/// }
/// assert_eq!(s, "0.1 1.0 1e+16 1.5e-07 -2.5 NaN ");
/// ```
#[inline]
pub fn push_f64(out: &mut String, x: f64) {
    // Fixed notation, the common case, first; NaN fails the comparison and goes on.
    const EXACT: f64 = 9_007_199_254_740_992.0; // 2^53
    let a = x.abs();
    if a < EXACT {
        // SAFETY: |x| < 2^53, so the truncation fits an i64.
        let i = unsafe { x.to_int_unchecked::<i64>() };
        if i as f64 == x {
            // Integral values below 2^53 (counts, scores like 3.0): every such integer is exact
            // and its neighbours are at most 1 apart, so its own digits are the shortest
            // round-trip digits, in fixed notation (Python switches to `e+16` above 2^53).
            push_fixed(out, x.is_sign_negative(), i.unsigned_abs() * 10, 1);
            return;
        }
        if let Some((r, k)) = short_decimal(a) {
            push_fixed(out, x.is_sign_negative(), r, k);
            return;
        }
    }
    push_f64_shortest(out, x);
}

/// Exact powers of ten (every one up to 10^22 is a double).
const POW10: [f64; 19] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18,
];

/// `a` (positive, non-integral) as `r / 10^k` with the fewest decimals, if it has at most 15
/// significant digits and Python writes it in fixed notation: prices, scores, 0.25, 0.1, which
/// is most captured data, without the shortest-digits search (~3x cheaper). `None` for anything
/// else (more digits, or Python's scientific range).
///
/// Why the result is Python's repr: with `p = a * 10^k < 2^50`, any decimal with at most `k`
/// decimals that reads back as `a` lies within half an ulp of `a`, so `p` (its own rounding
/// included) is within 1/8 of that decimal times `10^k`; `r = round(p)` is therefore the only
/// candidate with `k` decimals or fewer, and at most 15 significant digits leave no second
/// decimal of the same length within an ulp. `r / 10^k` is one correctly rounded division of
/// two exact doubles, i.e. exactly what parsing the decimal gives, so equality proves the round
/// trip. Shortest round-trip digits, unique at their length: what Python's repr (David Gay's
/// mode 0) writes.
#[inline]
fn short_decimal(a: f64) -> Option<(u64, usize)> {
    // Below 1e-4 Python switches to scientific notation; at 1e15 `p` would leave no decimals.
    if !(1e-4..1e15).contains(&a) {
        return None;
    }
    // a < 2^(e+1); the largest k with 2^(e+1) * 10^k <= 2^50 is floor((49 - e) * log10(2)).
    // 78913 / 2^18 is just below log10(2): the estimate may be one short, never too high.
    let e = ((a.to_bits() >> 52) as i32) - 1023;
    let mut k = (((49 - e) * 78913) >> 18) as usize;
    let p = a * POW10[k];
    // SAFETY: 0 <= p + 0.5 < 2^50 + 1 fits an i64 (a signed conversion: one instruction).
    let r = unsafe { (p + 0.5).to_int_unchecked::<i64>() };
    if r as f64 / POW10[k] != a {
        return None;
    }
    // Few decimals are the usual case: the same test at 1..=3 decimals finds them directly (by
    // the argument above, the first k that passes is the shortest).
    for (j, &pow) in POW10[..k.min(4)].iter().enumerate().skip(1) {
        // SAFETY: as above, j < k.
        let rj = unsafe { (a * pow + 0.5).to_int_unchecked::<i64>() };
        if rj as f64 / pow == a {
            return Some((rj as u64, j));
        }
    }
    // Drop trailing zeros: the shortest form. Non-integral, so at least one decimal stays.
    // Unrolled on purpose: a loop over the steps measured ~4 instructions more per float.
    let mut r = r as u64;
    while k >= 8 && r.is_multiple_of(100_000_000) {
        r /= 100_000_000;
        k -= 8;
    }
    if k >= 4 && r.is_multiple_of(10_000) {
        r /= 10_000;
        k -= 4;
    }
    if k >= 2 && r.is_multiple_of(100) {
        r /= 100;
        k -= 2;
    }
    if k >= 1 && r.is_multiple_of(10) {
        r /= 10;
        k -= 1;
    }
    Some((r, k))
}

/// Writes the last two digits of `r` before `at` and drops them from `r`.
#[inline(always)]
fn pair(buf: &mut [u8], at: &mut usize, r: &mut u64) {
    let d = (*r % 100) as usize * 2;
    *r /= 100;
    *at -= 2;
    buf[*at..*at + 2].copy_from_slice(&DIGIT_PAIRS[d..d + 2]);
}

/// "00", "01", ..., "99": two digits per division.
const DIGIT_PAIRS: &[u8; 200] = b"\
0001020304050607080910111213141516171819\
2021222324252627282930313233343536373839\
4041424344454647484950515253545556575859\
6061626364656667686970717273747576777879\
8081828384858687888990919293949596979899";

/// Appends `r / 10^k` in fixed notation with exactly `k >= 1` decimals (`r < 2^57`, `k <= 18`).
#[inline]
fn push_fixed(out: &mut String, negative: bool, mut r: u64, k: usize) {
    // Written right to left to end at WIDTH, then copied as one fixed-size block (no memcpy
    // call): sign, up to 18 integer digits, '.', up to 18 decimals fit in WIDTH bytes.
    const WIDTH: usize = 40;
    let mut buf = [0u8; 2 * WIDTH];
    let mut at = WIDTH;
    let mut decimals = k;
    while decimals >= 2 {
        pair(&mut buf, &mut at, &mut r);
        decimals -= 2;
    }
    if decimals == 1 {
        at -= 1;
        buf[at] = b'0' + (r % 10) as u8;
        r /= 10;
    }
    at -= 1;
    buf[at] = b'.';
    // The integer part, at least one digit: after the loop r is 0 only if it was 0 before.
    while r >= 100 {
        pair(&mut buf, &mut at, &mut r);
    }
    if r >= 10 {
        pair(&mut buf, &mut at, &mut r);
    } else {
        at -= 1;
        buf[at] = b'0' + r as u8;
    }
    if negative {
        at -= 1;
        buf[at] = b'-';
    }
    out.reserve(WIDTH);
    // SAFETY: `reserve` leaves WIDTH writable bytes after the end, `buf[at..at + WIDTH]` is in
    // bounds (at <= WIDTH), and the first `WIDTH - at` bytes copied are ASCII digits, '.' and
    // '-', so the String stays UTF-8 up to its new length.
    unsafe {
        let v = out.as_mut_vec();
        let len = v.len();
        std::ptr::copy_nonoverlapping(buf.as_ptr().add(at), v.as_mut_ptr().add(len), WIDTH);
        v.set_len(len + WIDTH - at);
    }
}

/// Any float: zmij's shortest digits, rewritten to Python's notation.
#[inline(never)]
fn push_f64_shortest(out: &mut String, x: f64) {
    if !x.is_finite() {
        out.push_str(if x.is_nan() {
            "NaN"
        } else if x > 0.0 {
            "Infinity"
        } else {
            "-Infinity"
        });
        return;
    }
    // zmij (Schubfach) gives the shortest round-trip digits, the digits Python's repr picks, at
    // a tenth of the cost of `{:e}`. It writes fixed notation for decimal exponents -5..=15 and
    // `d.ddde±x` otherwise; Python switches to scientific below -4 and pads the exponent to two
    // digits, so only those two spots are rewritten here.
    let mut buf = zmij::Buffer::new();
    let text = buf.format_finite(x);
    let (sign, body) = match text.strip_prefix('-') {
        Some(b) => ("-", b),
        None => ("", text),
    };
    out.push_str(sign);
    // The exponent, if any, is among the last five bytes (`e-324`): no full scan.
    let tail = body.len().saturating_sub(5);
    let e_at = body.as_bytes()[tail..]
        .iter()
        .position(|&b| b == b'e')
        .map(|i| tail + i);
    if let Some(e_at) = e_at {
        let (mantissa, exp) = (&body[..e_at], &body[e_at + 1..]);
        out.push_str(mantissa);
        out.push('e');
        let (esign, digits) = match exp.as_bytes().first() {
            Some(b'-') => ('-', &exp[1..]),
            Some(b'+') => ('+', &exp[1..]),
            _ => ('+', exp),
        };
        out.push(esign);
        if digits.len() < 2 {
            out.push('0');
        }
        out.push_str(digits);
    } else if let Some(digits) = body.strip_prefix("0.0000") {
        // 0.0000ddd: decimal exponent -5, which Python writes as d.dde-05.
        let (first, rest) = digits.split_at(1);
        out.push_str(first);
        if !rest.is_empty() {
            out.push('.');
            out.push_str(rest);
        }
        out.push_str("e-05");
    } else {
        out.push_str(body);
    }
}

#[cfg(test)]
mod tests;
