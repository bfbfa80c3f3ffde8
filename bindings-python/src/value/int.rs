//! Integers past 64 bits. Up to [`MAX_INT_DIGITS`] digits they are JSON numbers, exact (what
//! `json.dumps` writes). Past it, `str()` refuses them (CPython's `int_max_str_digits`, which
//! made `json.dumps`, and so MLflow's capture, fail on them) and Python's `json.loads` could not
//! read them back, so they become a string: the sign, the leading [`INT_DIGITS_KEPT`] digits,
//! exact, and how many digits were cut (`"1000…[truncated 4937 digits]"` for `10**5000`).

use ferrotrace_core::model::caps::{int_suffix, INT_DIGITS_KEPT, MAX_INT_DIGITS};
use ferrotrace_core::model::json::{push_i64, push_str};
use pyo3::prelude::*;
use pyo3::types::PyInt;

/// Past this many bits (about 39,000 digits), finding the leading digits costs more than a
/// traced call should (the power of ten it divides by grows faster than linearly): only the
/// approximate number of digits is written.
const HEAD_MAX_BITS: u64 = 1 << 17;

/// Writes the integer `i` (an `int` or a subclass) as JSON.
pub(super) fn write(out: &mut String, i: &Bound<'_, PyInt>) {
    if let Ok(v) = i.extract::<i64>() {
        push_i64(out, v);
    } else if let Ok(v) = i.extract::<i128>() {
        out.push_str(&v.to_string());
    } else {
        big(out, i);
    }
}

fn big(out: &mut String, i: &Bound<'_, PyInt>) {
    let bits = i
        .call_method0("bit_length")
        .and_then(|b| b.extract::<u64>())
        .unwrap_or(0);
    // The digits of 2**(bits-1), the smallest number with that many bits: one less than or
    // equal to the number's own digit count.
    let low_digits = ((bits.saturating_sub(1)) as f64 * std::f64::consts::LOG10_2) as u64 + 1;
    if low_digits <= MAX_INT_DIGITS as u64 {
        // May still fail: the process may have lowered `sys.set_int_max_str_digits`.
        if let Ok(s) = i.str() {
            if let Ok(digits) = s.to_str() {
                if digits.trim_start_matches('-').len() <= MAX_INT_DIGITS {
                    out.push_str(digits);
                    return;
                }
            }
        }
    }
    let negative = i.lt(0).unwrap_or(false);
    let text = match head(i, negative, bits, low_digits) {
        Some((head, digits)) => format!(
            "{}{head}{}",
            if negative { "-" } else { "" },
            int_suffix(digits.saturating_sub(head.len()))
        ),
        None => format!(
            "{}[Truncated: int of {} digits or more]",
            if negative { "-" } else { "" },
            low_digits
        ),
    };
    push_str(out, &text);
}

/// The leading digits of `|i|` and its number of digits, by one division by a power of ten
/// that leaves a quotient of about [`INT_DIGITS_KEPT`] digits (no conversion of the whole
/// number). `None` past [`HEAD_MAX_BITS`], or if Python refuses an operation.
fn head(
    i: &Bound<'_, PyInt>,
    negative: bool,
    bits: u64,
    low_digits: u64,
) -> Option<(String, usize)> {
    if bits > HEAD_MAX_BITS {
        return None;
    }
    let py = i.py();
    let abs = if negative {
        i.neg().ok()?
    } else {
        i.clone().into_any()
    };
    let shift = (low_digits as usize).saturating_sub(INT_DIGITS_KEPT);
    let power = 10u32.into_pyobject(py).ok()?.pow(shift, py.None()).ok()?;
    let quotient = abs.floor_div(power).ok()?;
    // A few more digits than kept at most: far under any str() limit.
    let digits = quotient.str().ok()?.to_str().ok()?.to_owned();
    // Exact whatever the estimate: |i| // 10**shift has (digits of |i|) - shift digits.
    let total = shift + digits.len();
    let kept = digits.len().min(INT_DIGITS_KEPT);
    Some((digits[..kept].to_owned(), total))
}
