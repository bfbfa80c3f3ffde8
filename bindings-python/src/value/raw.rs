//! The C API's reads of floats, lists and tuples: the inline macros where the build is
//! version-specific, their function forms under the limited API (abi3).

use pyo3::ffi;

/// SAFETY (all): the object is alive and of the exact type named.
#[cfg(not(feature = "abi3"))]
pub(super) unsafe fn float_value(f: *mut ffi::PyObject) -> f64 {
    unsafe { ffi::PyFloat_AS_DOUBLE(f) }
}
#[cfg(feature = "abi3")]
pub(super) unsafe fn float_value(f: *mut ffi::PyObject) -> f64 {
    unsafe { ffi::PyFloat_AsDouble(f) }
}

#[cfg(not(feature = "abi3"))]
pub(super) unsafe fn list_len(l: *mut ffi::PyObject) -> usize {
    unsafe { ffi::PyList_GET_SIZE(l) as usize }
}
#[cfg(feature = "abi3")]
pub(super) unsafe fn list_len(l: *mut ffi::PyObject) -> usize {
    unsafe { ffi::PyList_Size(l) as usize }
}

/// Borrowed; `i` below `list_len`.
#[cfg(not(feature = "abi3"))]
pub(super) unsafe fn list_item(l: *mut ffi::PyObject, i: usize) -> *mut ffi::PyObject {
    unsafe { ffi::PyList_GET_ITEM(l, i as ffi::Py_ssize_t) }
}
#[cfg(feature = "abi3")]
pub(super) unsafe fn list_item(l: *mut ffi::PyObject, i: usize) -> *mut ffi::PyObject {
    unsafe { ffi::PyList_GetItem(l, i as ffi::Py_ssize_t) }
}

#[cfg(not(feature = "abi3"))]
pub(super) unsafe fn tuple_len(t: *mut ffi::PyObject) -> usize {
    unsafe { ffi::PyTuple_GET_SIZE(t) as usize }
}
#[cfg(feature = "abi3")]
pub(super) unsafe fn tuple_len(t: *mut ffi::PyObject) -> usize {
    unsafe { ffi::PyTuple_Size(t) as usize }
}

/// Borrowed; `i` below `tuple_len`.
#[cfg(not(feature = "abi3"))]
pub(super) unsafe fn tuple_item(t: *mut ffi::PyObject, i: usize) -> *mut ffi::PyObject {
    unsafe { ffi::PyTuple_GET_ITEM(t, i as ffi::Py_ssize_t) }
}
#[cfg(feature = "abi3")]
pub(super) unsafe fn tuple_item(t: *mut ffi::PyObject, i: usize) -> *mut ffi::PyObject {
    unsafe { ffi::PyTuple_GetItem(t, i as ffi::Py_ssize_t) }
}

/// The UTF-8 text of an exact `str`, borrowed from CPython's cache in the string (for ASCII
/// strings, the string's own data). `None`, with the error cleared, for lone surrogates.
pub(super) unsafe fn utf8<'a>(s: *mut ffi::PyObject) -> Option<&'a str> {
    let mut len: ffi::Py_ssize_t = 0;
    let data = unsafe { ffi::PyUnicode_AsUTF8AndSize(s, &mut len) };
    if data.is_null() {
        unsafe { ffi::PyErr_Clear() };
        return None;
    }
    // SAFETY: CPython returned `len` bytes of valid UTF-8 that live as long as the string.
    Some(unsafe {
        std::str::from_utf8_unchecked(std::slice::from_raw_parts(data.cast::<u8>(), len as usize))
    })
}

/// Characters of an exact `str`.
pub(super) unsafe fn str_chars(s: *mut ffi::PyObject) -> usize {
    unsafe { ffi::PyUnicode_GetLength(s) as usize }
}
