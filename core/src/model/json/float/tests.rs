use super::*;

fn f(x: f64) -> String {
    let mut s = String::new();
    push_f64(&mut s, x);
    s
}

#[test]
fn floats_match_python_repr() {
    let cases = [
        (0.0, "0.0"),
        (-0.0, "-0.0"),
        (1.0, "1.0"),
        (0.1, "0.1"),
        (123.456, "123.456"),
        (1e15, "1000000000000000.0"),
        (1e16, "1e+16"),
        (1.2345e20, "1.2345e+20"),
        (0.0001, "0.0001"),
        (0.00001, "1e-05"),
        (1.5e-7, "1.5e-07"),
        (1e300, "1e+300"),
        (f64::INFINITY, "Infinity"),
        (f64::NEG_INFINITY, "-Infinity"),
        (2.5e-300, "2.5e-300"),
        (9007199254740993.0, "9007199254740992.0"),
        (9007199254740991.0, "9007199254740991.0"),
        (-9007199254740991.0, "-9007199254740991.0"),
        (-3.0, "-3.0"),
        (37.0, "37.0"),
        (1e10, "10000000000.0"),
        (4503599627370497.0, "4503599627370497.0"),
    ];
    for (x, want) in cases {
        assert_eq!(f(x), want, "{x}");
    }
}

/// The short-decimal path (at most 15 significant digits, fixed notation) and its way out
/// to the general path: Python's repr of each value.
#[test]
fn short_decimals_match_python_repr() {
    let cases = [
        (0.25, "0.25"),
        (-3.75, "-3.75"),
        (123.456, "123.456"),
        (-0.00012, "-0.00012"),
        (0.000123456789012345, "0.000123456789012345"),
        (99999999999999.9, "99999999999999.9"),
        (999999999999999.9, "999999999999999.9"),
        (123456789012345.6, "123456789012345.6"),
        (0.1 + 0.2, "0.30000000000000004"),
        (1.1, "1.1"),
        (2.675, "2.675"),
        (1e-4 * 3.0, "0.00030000000000000003"),
        (0.07, "0.07"),
        (1234.5678, "1234.5678"),
        (0.10000000000000002, "0.10000000000000002"),
        (12345678.9, "12345678.9"),
        (1.0 / 3.0, "0.3333333333333333"),
    ];
    for (x, want) in cases {
        assert_eq!(f(x), want, "{x:e}");
    }
}

/// Python's `repr` of each value (bits, to leave no doubt about the input), checked once
/// against a million random floats; these are the spots where the notation switches, the
/// extremes, and a tie that Python rounds to even (Rust's `{:e}` rounds it up).
#[test]
fn floats_match_python_repr_at_the_edges() {
    let cases: [(u64, &str); 20] = [
        (0x3ee4f8b588e368f1, "1e-05"),
        (0x3eef75104d551d69, "1.5e-05"),
        (0x3f1a302cee759401, "9.99e-05"),
        (0x3f1a36e2eb1c432d, "0.0001"),
        (0x3f202e4b6ce5dc68, "0.00012345"),
        (0x430c6bf526340000, "1000000000000000.0"),
        (0x4341c37937e07fff, "9999999999999998.0"),
        (0x4341c37937e08000, "1e+16"),
        (0x437b69b4ba630f34, "1.2345678901234566e+17"),
        (0x0000000000000001, "5e-324"),
        (0x7fefffffffffffff, "1.7976931348623157e+308"),
        (0x0010000000000000, "2.2250738585072014e-308"),
        (0x3fd3333333333333, "0.3"),
        (0x4480f0cf064dd592, "1e+22"),
        (0x3e7ad7f29abcaf48, "1e-07"),
        (0x54b249ad2594c37d, "1e+100"),
        (0x81b01297d23ab683, "-1.5e-300"),
        (0x40fe240c9fbe76c9, "123456.789"),
        (0x3fd3333333333334, "0.30000000000000004"),
        (0x42e30441030f27d4, "167271932131646.62"),
    ];
    for (bits, want) in cases {
        assert_eq!(f(f64::from_bits(bits)), want, "{bits:#x}");
    }
}
