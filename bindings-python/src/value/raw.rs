//! The C API's reads of floats, lists and tuples: the inline macros where the build is
//! version-specific, their function forms under the limited API (abi3).
//!
//! Every function here has the same contract: the GIL is held, and the object is alive and of
//! the exact type the function names (the macros check nothing; under abi3 the functions do,
//! but their errors are not looked at). None of them runs Python code.

use pyo3::ffi;

/// A float's value.
///
/// # Safety
///
/// `f` is a live exact `float` (see the module's contract).
#[cfg(not(feature = "abi3"))]
pub(super) unsafe fn float_value(f: *mut ffi::PyObject) -> f64 {
    // SAFETY: a live float (this function's contract): a field read.
    unsafe { ffi::PyFloat_AS_DOUBLE(f) }
}
/// A float's value.
///
/// # Safety
///
/// `f` is a live exact `float` (see the module's contract).
#[cfg(feature = "abi3")]
pub(super) unsafe fn float_value(f: *mut ffi::PyObject) -> f64 {
    // SAFETY: a live float (this function's contract), so the call cannot fail.
    unsafe { ffi::PyFloat_AsDouble(f) }
}

/// A list's length.
///
/// # Safety
///
/// `l` is a live exact `list` (see the module's contract).
#[cfg(not(feature = "abi3"))]
pub(super) unsafe fn list_len(l: *mut ffi::PyObject) -> usize {
    // SAFETY: a live list (this function's contract): a field read.
    unsafe { ffi::PyList_GET_SIZE(l) as usize }
}
/// A list's length.
///
/// # Safety
///
/// `l` is a live exact `list` (see the module's contract).
#[cfg(feature = "abi3")]
pub(super) unsafe fn list_len(l: *mut ffi::PyObject) -> usize {
    // SAFETY: a live list (this function's contract), so the call cannot fail.
    unsafe { ffi::PyList_Size(l) as usize }
}

/// A list's item `i`, borrowed from the list.
///
/// # Safety
///
/// `l` is a live exact `list` (see the module's contract) and `i` below its current length;
/// the item is borrowed: alive only until Python code runs.
#[cfg(not(feature = "abi3"))]
pub(super) unsafe fn list_item(l: *mut ffi::PyObject, i: usize) -> *mut ffi::PyObject {
    // SAFETY: a live list and `i` in bounds (this function's contract): a read of its array.
    unsafe { ffi::PyList_GET_ITEM(l, i as ffi::Py_ssize_t) }
}
/// A list's item `i`, borrowed from the list.
///
/// # Safety
///
/// `l` is a live exact `list` (see the module's contract) and `i` below its current length;
/// the item is borrowed: alive only until Python code runs.
#[cfg(feature = "abi3")]
pub(super) unsafe fn list_item(l: *mut ffi::PyObject, i: usize) -> *mut ffi::PyObject {
    // SAFETY: a live list and `i` in bounds (this function's contract), so the call cannot fail.
    unsafe { ffi::PyList_GetItem(l, i as ffi::Py_ssize_t) }
}

/// A tuple's length.
///
/// # Safety
///
/// `t` is a live exact `tuple` (see the module's contract).
#[cfg(not(feature = "abi3"))]
pub(super) unsafe fn tuple_len(t: *mut ffi::PyObject) -> usize {
    // SAFETY: a live tuple (this function's contract): a field read.
    unsafe { ffi::PyTuple_GET_SIZE(t) as usize }
}
/// A tuple's length.
///
/// # Safety
///
/// `t` is a live exact `tuple` (see the module's contract).
#[cfg(feature = "abi3")]
pub(super) unsafe fn tuple_len(t: *mut ffi::PyObject) -> usize {
    // SAFETY: a live tuple (this function's contract), so the call cannot fail.
    unsafe { ffi::PyTuple_Size(t) as usize }
}

/// A tuple's item `i`, borrowed from the tuple (which holds it as long as the tuple lives).
///
/// # Safety
///
/// `t` is a live exact `tuple` (see the module's contract) and `i` below its length.
#[cfg(not(feature = "abi3"))]
pub(super) unsafe fn tuple_item(t: *mut ffi::PyObject, i: usize) -> *mut ffi::PyObject {
    // SAFETY: a live tuple and `i` in bounds (this function's contract): a read of its array.
    unsafe { ffi::PyTuple_GET_ITEM(t, i as ffi::Py_ssize_t) }
}
/// A tuple's item `i`, borrowed from the tuple (which holds it as long as the tuple lives).
///
/// # Safety
///
/// `t` is a live exact `tuple` (see the module's contract) and `i` below its length.
#[cfg(feature = "abi3")]
pub(super) unsafe fn tuple_item(t: *mut ffi::PyObject, i: usize) -> *mut ffi::PyObject {
    // SAFETY: a live tuple and `i` in bounds (this function's contract), so the call cannot fail.
    unsafe { ffi::PyTuple_GetItem(t, i as ffi::Py_ssize_t) }
}

/// The text of a `str` (exact or a subclass), at most `max` characters of it, and its length in
/// characters. Read from the string's own storage: `PyUnicode_AsUTF8` would attach a UTF-8 copy
/// to every non-ASCII string it is asked about, for the string's lifetime (200 MB more on a
/// 100 MB string), and convert all of it when only the capped prefix is written. ASCII text is
/// borrowed from the string; other text is decoded into `buf` (cleared first), lone surrogates
/// as U+FFFD.
///
/// # Safety
///
/// `s` is a live `str`, with the GIL held; the text returned may borrow from it, so it must be
/// used before anything can run Python code.
#[cfg(not(feature = "abi3"))]
pub(super) unsafe fn str_text(
    s: *mut ffi::PyObject,
    max: usize,
    buf: &mut String,
) -> (&str, usize) {
    // SAFETY: `s` is a live str (the caller's contract); reading its header runs no Python code,
    // and nothing below does, so the borrowed buffer stays valid while it is read.
    let data = unsafe { ffi::PyUnicode_DATA(s) };
    if data.is_null() {
        // A legacy string not yet made ready (an old C extension's, before 3.12): let CPython
        // convert it.
        // SAFETY: the same live str.
        return unsafe { str_text_copied(s, max, buf) };
    }
    // SAFETY: a ready str's header.
    let len = unsafe { ffi::PyUnicode_GET_LENGTH(s) } as usize;
    let take = len.min(max);
    buf.clear();
    // SAFETY: a ready str's header.
    match unsafe { ffi::PyUnicode_KIND(s) } {
        ffi::PyUnicode_1BYTE_KIND => {
            // SAFETY: a ready string holds `len >= take` code units of its kind at `data`.
            let bytes = unsafe { std::slice::from_raw_parts(data.cast::<u8>(), take) };
            if bytes.is_ascii() {
                // SAFETY: ASCII is UTF-8; the bytes live as long as the string.
                return (unsafe { std::str::from_utf8_unchecked(bytes) }, len);
            }
            // Latin-1: one or two UTF-8 bytes per character.
            buf.reserve(take * 2);
            // SAFETY: only whole UTF-8 sequences are pushed.
            let out = unsafe { buf.as_mut_vec() };
            for &b in bytes {
                if b < 0x80 {
                    out.push(b);
                } else {
                    out.extend_from_slice(&[0xC0 | (b >> 6), 0x80 | (b & 0x3F)]);
                }
            }
        }
        ffi::PyUnicode_2BYTE_KIND => {
            // SAFETY: as above, two-byte units (aligned: CPython allocates them so).
            let units = unsafe { std::slice::from_raw_parts(data.cast::<u16>(), take) };
            buf.reserve(take * 3);
            buf.extend(units.iter().map(|&u| code_point(u32::from(u))));
        }
        _ => {
            // SAFETY: as above, four-byte units (aligned).
            let units = unsafe { std::slice::from_raw_parts(data.cast::<u32>(), take) };
            buf.reserve(take * 4);
            buf.extend(units.iter().map(|&u| code_point(u)));
        }
    }
    (buf.as_str(), len)
}

#[cfg(not(feature = "abi3"))]
fn code_point(u: u32) -> char {
    char::from_u32(u).unwrap_or(char::REPLACEMENT_CHARACTER)
}

/// # Safety
///
/// `s` is a live `str`, with the GIL held.
#[cfg(feature = "abi3")]
pub(super) unsafe fn str_text(
    s: *mut ffi::PyObject,
    max: usize,
    buf: &mut String,
) -> (&str, usize) {
    // SAFETY: the caller's contract (a live str) is str_text_copied's.
    unsafe { str_text_copied(s, max, buf) }
}

/// [`str_text`] through CPython's encoder, on the capped prefix only (a new bytes object, no
/// cache left on the string).
///
/// # Safety
///
/// `s` is a live `str`, with the GIL held.
unsafe fn str_text_copied(s: *mut ffi::PyObject, max: usize, buf: &mut String) -> (&str, usize) {
    buf.clear();
    // SAFETY: a live str; these calls create new objects (owned, released below) and run no
    // user code, so no borrowed reference is held across Python code.
    let len = unsafe { ffi::PyUnicode_GetLength(s) };
    if len < 0 {
        // SAFETY: clears the error the failed call set.
        unsafe { ffi::PyErr_Clear() };
        return (buf.as_str(), 0);
    }
    let take = (len as usize).min(max) as ffi::Py_ssize_t;
    // SAFETY: `s` is a live str; the substring and bytes objects are new references, released
    // once here (`Py_DECREF`), and none of these calls runs user code. `data` points at the
    // bytes object's `n` bytes, read before it is released.
    unsafe {
        let prefix = ffi::PyUnicode_Substring(s, 0, take);
        let bytes = if prefix.is_null() {
            prefix
        } else {
            let b = ffi::PyUnicode_AsEncodedString(prefix, c"utf-8".as_ptr(), c"replace".as_ptr());
            ffi::Py_DECREF(prefix);
            b
        };
        if bytes.is_null() {
            ffi::PyErr_Clear();
        } else {
            let data = ffi::PyBytes_AsString(bytes).cast::<u8>();
            let n = ffi::PyBytes_Size(bytes) as usize;
            buf.push_str(&String::from_utf8_lossy(std::slice::from_raw_parts(
                data, n,
            )));
            ffi::Py_DECREF(bytes);
        }
    }
    (buf.as_str(), len as usize)
}
