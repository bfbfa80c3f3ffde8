//! Python object -> JSON text, written straight into a buffer (no intermediate tree), with the
//! core's size caps. This is the hot path of input/output capture.
//!
//! It writes what MLflow's `json.dumps(value, cls=TraceJSONEncoder, ensure_ascii=False)` writes:
//! Python separators and float repr, `NaN`/`Infinity`, tuples as lists, `str()` for unknown
//! objects, `model_dump()` for pydantic models and the fields of dataclasses. It differs where
//! MLflow gives up: a cycle becomes `"[Circular]"` in place (MLflow replaces the whole value by its
//! repr), non-string dict keys are stringified, and depth, length and size are capped visibly.
//! It never raises: anything that fails inside user code (`__str__`, `model_dump`) falls back to
//! `repr()`, then to a placeholder naming the type.
//!
//! User code runs in the middle of a capture (a key's `__str__`, a value's `model_dump`, and
//! other threads whenever Python code runs), and may free or resize what is being read. So
//! every key, value and item is held by a strong reference before anything that can run Python
//! code, and a container found resized after such code ran is cut there with
//! [`CHANGED_MARKER`]. A panic inside a capture is caught: the value becomes
//! [`CAPTURE_FAILED`], counted in stats().

use ferrotrace_core::model::caps::{
    depth_marker, items_marker, string_suffix, CHANGED_MARKER, CUT_MAP_KEY, CYCLE_MARKER,
    MAX_DEPTH, MAX_ITEMS, MAX_STRING_CHARS, MAX_VALUE_BYTES, SIZE_MARKER,
};
use ferrotrace_core::model::json::{push_f64, push_i64, push_str};
use ferrotrace_core::model::RawJson;
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple, PyType};
use std::cell::Cell;
use std::sync::Arc;

use crate::guard::{fault, guard, Point};

mod int;
mod model;
mod raw;

/// Stands for a value whose capture failed inside the tracer (a caught panic).
pub const CAPTURE_FAILED: &str = "[Unrepresentable: capture failed]";

/// Serialises `obj` to JSON text. Never fails.
pub fn to_json(obj: &Bound<'_, PyAny>) -> RawJson {
    capture(|w| w.value(obj, 0))
}

/// Runs one capture, with a panic inside it caught and counted.
fn capture(write: impl FnOnce(&mut Writer)) -> RawJson {
    guard(
        "value capture",
        || {
            Writer::run(|w| {
                fault(Point::Capture);
                write(w)
            })
        },
        || RawJson::string(CAPTURE_FAILED),
    )
}

/// A dict's items as strong references, read at once (no Python code runs meanwhile): a
/// snapshot to iterate while calling code that may change the dict.
pub fn dict_items<'py>(d: &Bound<'py, PyDict>) -> Vec<(Bound<'py, PyAny>, Bound<'py, PyAny>)> {
    let py = d.py();
    let mut out = Vec::with_capacity(d.len());
    let (mut pos, mut k, mut v) = (0, std::ptr::null_mut(), std::ptr::null_mut());
    // SAFETY: a live dict; each borrowed key and value is made a strong reference at once.
    while unsafe { ffi::PyDict_Next(d.as_ptr(), &mut pos, &mut k, &mut v) } != 0 {
        // SAFETY: `k` and `v` were borrowed from the dict just now, and nothing since (nor the
        // push) runs Python code; each becomes a strong reference here.
        unsafe {
            out.push((
                Bound::from_borrowed_ptr(py, k),
                Bound::from_borrowed_ptr(py, v),
            ))
        };
    }
    out
}

struct Writer {
    out: String,
    /// Where non-ASCII strings are decoded before they are written (reused: no allocation per
    /// string).
    tmp: String,
    /// Containers on the path from the root to the current value, for cycle detection.
    path: Vec<usize>,
    /// Inside a field of a model written field by field: the model classes its type names
    /// (see `model`).
    allowed: Option<Arc<[usize]>>,
    /// Set when a model being written field by field must go to pydantic: at which nesting
    /// level (1: the outermost).
    abort: Option<usize>,
    /// How many models are being written field by field around the current value.
    models: usize,
}

thread_local! {
    /// The buffers of the last finished `Writer` on this thread: values are written into a
    /// buffer that has already grown, then copied once at their exact size, instead of growing a
    /// fresh String by doubling (four reallocations for a value of a few hundred bytes).
    static SCRATCH: Cell<(String, Vec<usize>, String)> =
        const { Cell::new((String::new(), Vec::new(), String::new())) };
}

/// Scratch buffers larger than this are dropped rather than kept for the next value.
const SCRATCH_KEEP: usize = 64 * 1024;

impl Writer {
    /// Runs `write` on this thread's scratch buffers (one thread-local lookup) and returns the
    /// text written: copied once at its size, or kept inline when short (most scalars and small
    /// inputs: no allocation at all).
    fn run(write: impl FnOnce(&mut Writer)) -> RawJson {
        let mut write = Some(write);
        let scratch = SCRATCH.try_with(|cell| {
            // A value's `__str__` may call a traced function, which then writes with a fresh
            // buffer: `take` leaves an empty one behind.
            let (out, path, tmp) = cell.take();
            let mut w = Writer {
                out,
                path,
                tmp,
                allowed: None,
                abort: None,
                models: 0,
            };
            if let Some(write) = write.take() {
                write(&mut w);
            }
            let text = RawJson::copied(w.out.as_str());
            if w.out.capacity() <= SCRATCH_KEEP && w.tmp.capacity() <= SCRATCH_KEEP * 4 {
                w.out.clear();
                w.path.clear();
                cell.set((w.out, w.path, w.tmp));
            }
            text
        });
        match (scratch, write) {
            (Ok(text), _) => text,
            // Thread-local storage already torn down (thread exit): a buffer of its own.
            (Err(_), Some(write)) => Writer::run_plain(write),
            (Err(_), None) => RawJson::default(),
        }
    }

    /// Runs `write` on a buffer of its own, which becomes the text (for small values).
    fn run_plain(write: impl FnOnce(&mut Writer)) -> RawJson {
        let mut w = Writer {
            out: String::with_capacity(64),
            path: Vec::new(),
            tmp: String::new(),
            allowed: None,
            abort: None,
            models: 0,
        };
        write(&mut w);
        RawJson::from_trusted(w.out)
    }
}

impl Writer {
    fn value(&mut self, obj: &Bound<'_, PyAny>, depth: usize) {
        // SAFETY: `obj` is alive for the call.
        unsafe { self.value_ptr(obj.py(), obj.as_ptr(), depth) }
    }

    /// One type-pointer comparison per value picks the exact JSON types; scalars are read
    /// through the C API (no reference-count traffic, no Python code run).
    ///
    /// # Safety
    ///
    /// `obj` must be alive when the call starts, with the GIL held; it may be borrowed from a
    /// container that user code run below frees or changes: every branch that can run Python
    /// code (the containers, `other`, big ints) first takes a strong reference of its own.
    unsafe fn value_ptr(&mut self, py: Python<'_>, obj: *mut ffi::PyObject, depth: usize) {
        if self.out.len() > MAX_VALUE_BYTES {
            push_str(&mut self.out, SIZE_MARKER);
            return;
        }
        // In every branch `obj` is alive (the caller's contract). The float, str, int, None and
        // bool reads run no Python code; a big int and every other branch take their own strong
        // reference (`int_ptr`, `Bound::from_borrowed_ptr` below) before any call that can.
        // SAFETY: `obj` is alive; its type is a field read.
        let ty = unsafe { ffi::Py_TYPE(obj) };
        if ty == &raw mut ffi::PyFloat_Type {
            // SAFETY: an exact float, alive; reading its value runs no Python code.
            push_f64(&mut self.out, unsafe { raw::float_value(obj) });
        } else if ty == &raw mut ffi::PyUnicode_Type {
            // SAFETY: an exact str, alive; `str_obj` copies its text before any Python code runs.
            unsafe { self.str_obj(obj) };
        } else if ty == &raw mut ffi::PyLong_Type {
            // SAFETY: an exact int, alive; `int_ptr` owns it before it runs Python code.
            unsafe { self.int_ptr(py, obj) };
        // SAFETY: `Py_None` only takes the address of the interpreter's static `None`.
        } else if obj == unsafe { ffi::Py_None() } {
            self.out.push_str("null");
        } else if ty == &raw mut ffi::PyBool_Type {
            // SAFETY: `Py_True` only takes the address of the interpreter's static `True`.
            let t = obj == unsafe { ffi::Py_True() };
            self.out.push_str(if t { "true" } else { "false" });
        } else {
            // Owned: user code run below may drop the container the caller borrowed `obj` from.
            // SAFETY: `obj` is alive and no Python code ran since the call started.
            let obj = unsafe { Bound::from_borrowed_ptr(py, obj) };
            if ty == &raw mut ffi::PyDict_Type {
                // SAFETY: an exact dict, owned by `obj` for the call.
                self.container(&obj, depth, |w| unsafe { w.dict(&obj, depth) });
            } else if ty == &raw mut ffi::PyList_Type {
                // SAFETY: an exact list, owned by `obj` for the call.
                self.container(&obj, depth, |w| unsafe { w.list_exact(&obj, depth) });
            } else if ty == &raw mut ffi::PyTuple_Type {
                // SAFETY: an exact tuple, owned by `obj` for the call.
                self.container(&obj, depth, |w| unsafe { w.tuple_exact(&obj, depth) });
            } else {
                self.other(&obj, depth);
            }
        }
    }

    /// # Safety
    ///
    /// `obj` is an exact `int`, alive when the call starts, with the GIL held.
    unsafe fn int_ptr(&mut self, py: Python<'_>, obj: *mut ffi::PyObject) {
        let mut overflow = 0;
        // SAFETY: an exact int (this function's contract): the conversion calls no `__index__`
        // and runs no Python code; it writes only `overflow`.
        let v = unsafe { ffi::PyLong_AsLongLongAndOverflow(obj, &mut overflow) };
        // SAFETY: reads this thread's error indicator (the GIL is held).
        if overflow == 0 && (v != -1 || unsafe { ffi::PyErr_Occurred() }.is_null()) {
            push_i64(&mut self.out, v);
        } else {
            // SAFETY: clears this thread's error indicator, which an overflow leaves unset but a
            // failure sets; either way no error may stay pending.
            unsafe { ffi::PyErr_Clear() };
            // SAFETY: `obj` is alive and no Python code ran since the call started; it is owned
            // from here, before the big-int path (which runs Python code) reads it.
            let i = unsafe { Bound::from_borrowed_ptr(py, obj) };
            if let Ok(i) = i.cast::<PyInt>() {
                int::write(&mut self.out, i);
            }
        }
    }

    /// A dict, exact or a subclass, read from its storage (`PyDict_Next`) as `dict(d)` would
    /// copy it. No borrowed key or value is used after code that can run Python code (a key's
    /// `__str__`, a value's conversion, another thread): a key that is not a str is owned, with
    /// its value, before it is written. A dict resized by such code is cut there (a resize may
    /// move entries, so reading on could repeat or skip).
    ///
    /// # Safety
    ///
    /// `d` is a `dict` or a subclass (read with the dict C API, which does not check).
    unsafe fn dict(&mut self, d: &Bound<'_, PyAny>, depth: usize) {
        let py = d.py();
        // SAFETY: a dict (this function's contract), owned by `d`; a size read runs no Python code.
        let len = unsafe { ffi::PyDict_Size(d.as_ptr()) };
        self.out.push('{');
        let (mut pos, mut n, mut changed) = (0, 0usize, false);
        let (mut k, mut v) = (std::ptr::null_mut(), std::ptr::null_mut());
        while n < MAX_ITEMS
            // SAFETY: `d` is a live dict (owned by the caller's Bound); `k` and `v` are borrowed
            // and used below only before any Python code runs, or made strong references first.
            && unsafe { ffi::PyDict_Next(d.as_ptr(), &mut pos, &mut k, &mut v) } != 0
        {
            if n > 0 {
                self.out.push_str(", ");
            }
            // SAFETY: `k` was borrowed just now and no Python code ran since.
            if unsafe { ffi::Py_TYPE(k) } == &raw mut ffi::PyUnicode_Type {
                // Writing a str key runs no Python code: the value is still the dict's.
                // SAFETY: an exact str, still held by the dict.
                unsafe { self.str_obj(k) };
                self.out.push_str(": ");
                // SAFETY: borrowed just now; `value_ptr` owns what it runs Python code for.
                unsafe { self.value_ptr(py, v, depth + 1) };
            } else {
                // The key's `__str__` may drop the value from the dict: both owned first.
                // SAFETY: borrowed from the dict just now.
                let (k, v) = unsafe {
                    (
                        Bound::from_borrowed_ptr(py, k),
                        Bound::from_borrowed_ptr(py, v),
                    )
                };
                self.key(&k);
                self.out.push_str(": ");
                self.value(&v, depth + 1);
            }
            n += 1;
            // SAFETY: `d` is owned by the caller's Bound; a size read runs no Python code.
            if unsafe { ffi::PyDict_Size(d.as_ptr()) } != len {
                changed = true;
                break;
            }
        }
        if changed {
            self.changed_marker(n > 0, true);
        } else {
            self.items_cut_marker(len.max(0) as usize, true);
        }
        self.out.push('}');
    }

    /// # Safety
    ///
    /// `l` is an exact `list` (read with the list macros, which do not check).
    unsafe fn list_exact(&mut self, l: &Bound<'_, PyAny>, depth: usize) {
        let py = l.py();
        // SAFETY: an exact list (this function's contract), owned by `l`.
        let len = unsafe { raw::list_len(l.as_ptr()) };
        self.out.push('[');
        let mut n = 0usize;
        // The length is read again per item: user code run for an item may shrink the list.
        // SAFETY: `l` is an exact list owned by the caller's Bound; its length runs no Python code.
        while n < MAX_ITEMS && n < unsafe { raw::list_len(l.as_ptr()) } {
            if n > 0 {
                self.out.push_str(", ");
            }
            // SAFETY: in bounds; `value_ptr` owns the item before any code that could remove it.
            unsafe { self.value_ptr(py, raw::list_item(l.as_ptr(), n), depth + 1) };
            n += 1;
        }
        // SAFETY: as above: still the exact list `l` owns.
        if unsafe { raw::list_len(l.as_ptr()) } != len {
            self.changed_marker(n > 0, false);
        } else {
            self.items_cut_marker(len, false);
        }
        self.out.push(']');
    }

    /// # Safety
    ///
    /// `t` is an exact `tuple` (which holds its items for as long as it lives).
    unsafe fn tuple_exact(&mut self, t: &Bound<'_, PyAny>, depth: usize) {
        let py = t.py();
        // SAFETY: an exact tuple (this function's contract), owned by `t`.
        let len = unsafe { raw::tuple_len(t.as_ptr()) };
        self.out.push('[');
        for n in 0..len.min(MAX_ITEMS) {
            if n > 0 {
                self.out.push_str(", ");
            }
            // SAFETY: `n < len`, and a tuple's items are fixed and held by it, which `t` keeps
            // alive, whatever code runs while the item is written.
            unsafe { self.value_ptr(py, raw::tuple_item(t.as_ptr(), n), depth + 1) };
        }
        self.items_cut_marker(len, false);
        self.out.push(']');
    }

    /// The last entry of a list or map longer than `MAX_ITEMS`.
    fn items_cut_marker(&mut self, len: usize, map: bool) {
        if len > MAX_ITEMS {
            self.out.push_str(", ");
            if map {
                push_str(&mut self.out, CUT_MAP_KEY);
                self.out.push_str(": ");
            }
            push_str(&mut self.out, &items_marker(len - MAX_ITEMS));
        }
    }

    /// The last entry of a container resized while it was written.
    fn changed_marker(&mut self, after_items: bool, map: bool) {
        if after_items {
            self.out.push_str(", ");
        }
        if map {
            push_str(&mut self.out, CUT_MAP_KEY);
            self.out.push_str(": ");
        }
        push_str(&mut self.out, CHANGED_MARKER);
    }

    /// Containers and subclasses of the JSON types, then the types MLflow's encoder knows, then
    /// `str()`.
    fn other(&mut self, obj: &Bound<'_, PyAny>, depth: usize) {
        if let Ok(s) = obj.cast::<PyString>() {
            // SAFETY: a live str (a subclass too), owned by `obj`.
            unsafe { self.str_obj(s.as_ptr()) };
        } else if obj.is_instance_of::<PyBool>() {
            self.out.push_str(if obj.is_truthy().unwrap_or(false) {
                "true"
            } else {
                "false"
            });
        } else if let Ok(i) = obj.cast::<PyInt>() {
            int::write(&mut self.out, i); // IntEnum and friends: json.dumps writes the number
        } else if let Ok(f) = obj.cast::<PyFloat>() {
            push_f64(&mut self.out, f.value());
        } else if obj.cast::<PyDict>().is_ok() {
            // SAFETY: a dict subclass.
            self.container(obj, depth, |w| unsafe { w.dict(obj, depth) });
        } else if let Ok(l) = obj.cast::<PyList>() {
            // The list iterator takes a strong reference per item and rereads the length.
            self.container(obj, depth, |w| w.seq(l.iter(), l.len(), depth));
        } else if let Ok(t) = obj.cast::<PyTuple>() {
            self.container(obj, depth, |w| w.seq(t.iter(), t.len(), depth));
        } else if let Some(kind) = model::pydantic(obj) {
            self.model(obj, kind, depth);
        } else if let Some(fields) = dataclass_fields(obj) {
            // SAFETY: a dict.
            self.container(obj, depth, |w| unsafe { w.dict(fields.as_any(), depth) });
        } else {
            self.display(obj);
        }
    }

    fn container(&mut self, obj: &Bound<'_, PyAny>, depth: usize, body: impl FnOnce(&mut Self)) {
        if depth >= MAX_DEPTH {
            push_str(&mut self.out, &depth_marker());
            return;
        }
        let id = obj.as_ptr() as usize;
        if self.path.contains(&id) {
            if !self.cycle_in_model() {
                push_str(&mut self.out, CYCLE_MARKER);
            }
            return;
        }
        self.path.push(id);
        body(self);
        self.path.pop();
    }

    /// A `str` (or subclass), capped.
    ///
    /// # Safety
    ///
    /// `s` is a live `str`, with the GIL held.
    unsafe fn str_obj(&mut self, s: *mut ffi::PyObject) {
        let mut tmp = std::mem::take(&mut self.tmp);
        // SAFETY: a live str (this function's contract); the text borrowed from it is copied
        // into `self.out` by `text` before anything can run Python code.
        let (text, chars) = unsafe { raw::str_text(s, MAX_STRING_CHARS, &mut tmp) };
        self.text(text, chars);
        self.tmp = tmp;
    }

    /// `text`, the first characters of a string of `chars` characters, capped.
    fn text(&mut self, text: &str, chars: usize) {
        if chars <= MAX_STRING_CHARS {
            push_str(&mut self.out, text);
        } else {
            let end = text
                .char_indices()
                .nth(MAX_STRING_CHARS)
                .map_or(text.len(), |(i, _)| i);
            let mut cut = String::with_capacity(end + 32);
            cut.push_str(&text[..end]);
            cut.push_str(&string_suffix(chars - MAX_STRING_CHARS));
            push_str(&mut self.out, &cut);
        }
    }

    /// `str(obj)`, else `repr(obj)`, else a placeholder, capped as strings are.
    fn display(&mut self, obj: &Bound<'_, PyAny>) {
        match obj.str().or_else(|_| obj.repr()) {
            Ok(s) => {
                // SAFETY: a live str.
                unsafe { self.str_obj(s.as_ptr()) };
            }
            Err(_) => push_str(&mut self.out, &unrepresentable(obj)),
        }
    }

    fn seq<'py>(
        &mut self,
        items: impl Iterator<Item = Bound<'py, PyAny>>,
        len: usize,
        depth: usize,
    ) {
        self.out.push('[');
        for (n, item) in items.take(MAX_ITEMS).enumerate() {
            if n > 0 {
                self.out.push_str(", ");
            }
            self.value(&item, depth + 1);
        }
        self.items_cut_marker(len, false);
        self.out.push(']');
    }

    /// Keys as `json.dumps` converts them (str as is, numbers and constants to their JSON text);
    /// other key types, which `json.dumps` rejects, become their `str()`. Capped as strings are.
    fn key(&mut self, k: &Bound<'_, PyAny>) {
        if let Ok(s) = k.cast::<PyString>() {
            // SAFETY: a live str.
            unsafe { self.str_obj(s.as_ptr()) };
        } else if k.is_none() {
            push_str(&mut self.out, "null");
        } else if k.is_instance_of::<PyBool>() {
            push_str(
                &mut self.out,
                if k.is_truthy().unwrap_or(false) {
                    "true"
                } else {
                    "false"
                },
            );
        } else if let Ok(f) = k.cast::<PyFloat>() {
            let mut s = String::new();
            push_f64(&mut s, f.value());
            push_str(&mut self.out, &s);
        } else {
            self.display(k);
        }
    }
}

/// `{field.name: getattr(obj, field.name)}` for a dataclass instance (MLflow's shallow form).
fn dataclass_fields<'py>(obj: &Bound<'py, PyAny>) -> Option<Bound<'py, PyDict>> {
    let py = obj.py();
    if obj.is_instance_of::<PyType>()
        || !obj
            .get_type()
            .hasattr("__dataclass_fields__")
            .unwrap_or(false)
    {
        return None;
    }
    let fields = py
        .import("dataclasses")
        .ok()?
        .call_method1("fields", (obj,))
        .ok()?;
    let out = PyDict::new(py);
    for f in fields.try_iter().ok()? {
        let name = f.ok()?.getattr("name").ok()?;
        let value = obj.getattr(name.cast::<PyString>().ok()?).ok()?;
        out.set_item(name, value).ok()?;
    }
    Some(out)
}

/// `str(obj)`, else `repr(obj)`, else a placeholder: user `__str__` methods may raise anything.
/// Read without leaving a UTF-8 copy on the string (see `raw::str_text`).
pub fn display_text(obj: &Bound<'_, PyAny>) -> String {
    match obj.str().or_else(|_| obj.repr()) {
        Ok(s) => {
            let mut buf = String::new();
            // SAFETY: `s` is a live str, owned here; the text is copied before Python code runs.
            unsafe { raw::str_text(s.as_ptr(), usize::MAX, &mut buf) }
                .0
                .to_owned()
        }
        Err(_) => unrepresentable(obj),
    }
}

/// The placeholder for an object that refuses both `str()` and `repr()`.
fn unrepresentable(obj: &Bound<'_, PyAny>) -> String {
    let ty = obj
        .get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "object".into());
    format!("<unrepresentable {ty} object>")
}

/// Serialises `(name, value)` pairs as one JSON object, sharing one size budget (function inputs).
pub fn object_to_json(entries: &[(Bound<'_, PyString>, Bound<'_, PyAny>)]) -> RawJson {
    capture(|w| {
        w.out.push('{');
        for (n, (k, v)) in entries.iter().enumerate() {
            if n > 0 {
                w.out.push_str(", ");
            }
            w.key(k.as_any());
            w.out.push_str(": ");
            w.value(v, 1);
        }
        w.out.push('}');
    })
}
