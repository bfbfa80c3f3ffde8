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

use ferrotrace_core::model::caps::{
    depth_marker, items_marker, string_suffix, CYCLE_MARKER, MAX_DEPTH, MAX_ITEMS,
    MAX_STRING_CHARS, MAX_VALUE_BYTES, SIZE_MARKER,
};
use ferrotrace_core::model::json::{push_f64, push_i64, push_str};
use ferrotrace_core::model::RawJson;
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple, PyType};
use std::cell::Cell;

mod raw;

/// Serialises `obj` to JSON text. Never fails.
pub fn to_json(obj: &Bound<'_, PyAny>) -> RawJson {
    Writer::run(|w| w.value(obj, 0))
}

struct Writer {
    out: String,
    /// Containers on the path from the root to the current value, for cycle detection.
    path: Vec<usize>,
}

thread_local! {
    /// The buffers of the last finished `Writer` on this thread: values are written into a
    /// buffer that has already grown, then copied once at their exact size, instead of growing a
    /// fresh String by doubling (four reallocations for a value of a few hundred bytes).
    static SCRATCH: Cell<(String, Vec<usize>)> = const { Cell::new((String::new(), Vec::new())) };
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
            let (out, path) = cell.take();
            let mut w = Writer { out, path };
            if let Some(write) = write.take() {
                write(&mut w);
            }
            let text = RawJson::copied(w.out.as_str());
            if w.out.capacity() <= SCRATCH_KEEP {
                w.out.clear();
                w.path.clear();
                cell.set((w.out, w.path));
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

    /// One type-pointer comparison per value picks the exact JSON types, which are read through
    /// the C API with borrowed references (no reference-count traffic); subclasses and everything
    /// else go to `other` with an owned reference.
    ///
    /// SAFETY: `obj` must be alive for the call. Only `other` and the containers run user code
    /// (`__str__`, `model_dump`), which may drop what the caller borrowed from: both own a
    /// reference to their object while they work.
    unsafe fn value_ptr(&mut self, py: Python<'_>, obj: *mut ffi::PyObject, depth: usize) {
        if self.out.len() > MAX_VALUE_BYTES {
            push_str(&mut self.out, SIZE_MARKER);
            return;
        }
        let ty = unsafe { ffi::Py_TYPE(obj) };
        if ty == &raw mut ffi::PyFloat_Type {
            push_f64(&mut self.out, unsafe { raw::float_value(obj) });
        } else if ty == &raw mut ffi::PyUnicode_Type {
            unsafe { self.str_ptr(py, obj) };
        } else if ty == &raw mut ffi::PyLong_Type {
            unsafe { self.int_ptr(py, obj) };
        } else if obj == unsafe { ffi::Py_None() } {
            self.out.push_str("null");
        } else if ty == &raw mut ffi::PyBool_Type {
            let t = obj == unsafe { ffi::Py_True() };
            self.out.push_str(if t { "true" } else { "false" });
        } else {
            // Owned: user code run below may drop the container the caller borrowed `obj` from.
            let obj = unsafe { Bound::from_borrowed_ptr(py, obj) };
            if ty == &raw mut ffi::PyDict_Type {
                self.container(&obj, depth, |w| unsafe { w.dict_exact(&obj, depth) });
            } else if ty == &raw mut ffi::PyList_Type {
                self.container(&obj, depth, |w| unsafe { w.list_exact(&obj, depth) });
            } else if ty == &raw mut ffi::PyTuple_Type {
                self.container(&obj, depth, |w| unsafe { w.tuple_exact(&obj, depth) });
            } else {
                self.other(&obj, depth);
            }
        }
    }

    /// SAFETY: `obj` is an exact `str`, alive for the call.
    unsafe fn str_ptr(&mut self, py: Python<'_>, obj: *mut ffi::PyObject) {
        match unsafe { raw::utf8(obj) } {
            // No more characters than bytes: under the cap without counting them.
            Some(text) if text.len() <= MAX_STRING_CHARS => push_str(&mut self.out, text),
            Some(text) => self.str_capped(text, unsafe { raw::str_chars(obj) }),
            None => {
                let s = unsafe { Bound::from_borrowed_ptr(py, obj) };
                if let Ok(s) = s.cast::<PyString>() {
                    self.string(s);
                }
            }
        }
    }

    /// SAFETY: `obj` is an exact `int`, alive for the call.
    unsafe fn int_ptr(&mut self, py: Python<'_>, obj: *mut ffi::PyObject) {
        let mut overflow = 0;
        let v = unsafe { ffi::PyLong_AsLongLongAndOverflow(obj, &mut overflow) };
        if overflow == 0 && (v != -1 || unsafe { ffi::PyErr_Occurred() }.is_null()) {
            push_i64(&mut self.out, v);
        } else {
            unsafe { ffi::PyErr_Clear() };
            let i = unsafe { Bound::from_borrowed_ptr(py, obj) };
            if let Ok(i) = i.cast::<PyInt>() {
                self.int(i);
            }
        }
    }

    /// SAFETY: `d` is an exact `dict`.
    unsafe fn dict_exact(&mut self, d: &Bound<'_, PyAny>, depth: usize) {
        let py = d.py();
        let len = unsafe { ffi::PyDict_Size(d.as_ptr()) } as usize;
        self.out.push('{');
        let (mut pos, mut n) = (0, 0usize);
        let (mut k, mut v) = (std::ptr::null_mut(), std::ptr::null_mut());
        // Borrowed key and value; PyDict_Next stays in bounds if user code run for a value
        // resizes the dict, and the key is written before any such code runs.
        while n < MAX_ITEMS
            && unsafe { ffi::PyDict_Next(d.as_ptr(), &mut pos, &mut k, &mut v) } != 0
        {
            if n > 0 {
                self.out.push_str(", ");
            }
            // Keys are not capped (as in `key`).
            let text = if unsafe { ffi::Py_TYPE(k) } == &raw mut ffi::PyUnicode_Type {
                unsafe { raw::utf8(k) }
            } else {
                None
            };
            match text {
                Some(text) => push_str(&mut self.out, text),
                None => self.key(&unsafe { Bound::from_borrowed_ptr(py, k) }),
            }
            self.out.push_str(": ");
            unsafe { self.value_ptr(py, v, depth + 1) };
            n += 1;
        }
        self.items_cut_marker(len, true);
        self.out.push('}');
    }

    /// SAFETY: `l` is an exact `list`.
    unsafe fn list_exact(&mut self, l: &Bound<'_, PyAny>, depth: usize) {
        let py = l.py();
        let len = unsafe { raw::list_len(l.as_ptr()) };
        self.out.push('[');
        let mut n = 0usize;
        // The length is read again per item: user code run for an item may shrink the list.
        while n < MAX_ITEMS && n < unsafe { raw::list_len(l.as_ptr()) } {
            if n > 0 {
                self.out.push_str(", ");
            }
            unsafe { self.value_ptr(py, raw::list_item(l.as_ptr(), n), depth + 1) };
            n += 1;
        }
        self.items_cut_marker(len, false);
        self.out.push(']');
    }

    /// SAFETY: `t` is an exact `tuple`.
    unsafe fn tuple_exact(&mut self, t: &Bound<'_, PyAny>, depth: usize) {
        let py = t.py();
        let len = unsafe { raw::tuple_len(t.as_ptr()) };
        self.out.push('[');
        for n in 0..len.min(MAX_ITEMS) {
            if n > 0 {
                self.out.push_str(", ");
            }
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
                push_str(&mut self.out, "…");
                self.out.push_str(": ");
            }
            push_str(&mut self.out, &items_marker(len - MAX_ITEMS));
        }
    }

    /// Containers and subclasses of the JSON types, then the types MLflow's encoder knows, then
    /// `str()`.
    fn other(&mut self, obj: &Bound<'_, PyAny>, depth: usize) {
        if let Ok(s) = obj.cast::<PyString>() {
            self.string(s);
        } else if obj.is_instance_of::<PyBool>() {
            self.out.push_str(if obj.is_truthy().unwrap_or(false) {
                "true"
            } else {
                "false"
            });
        } else if let Ok(i) = obj.cast::<PyInt>() {
            self.int(i); // IntEnum and friends: json.dumps writes the number
        } else if let Ok(f) = obj.cast::<PyFloat>() {
            push_f64(&mut self.out, f.value());
        } else if let Ok(d) = obj.cast::<PyDict>() {
            self.container(obj, depth, |w| w.dict(d, depth));
        } else if let Ok(l) = obj.cast::<PyList>() {
            self.container(obj, depth, |w| w.seq(l.iter(), l.len(), depth));
        } else if let Ok(t) = obj.cast::<PyTuple>() {
            self.container(obj, depth, |w| w.seq(t.iter(), t.len(), depth));
        } else if let Some(dumped) = pydantic_dump(obj) {
            self.container(obj, depth, |w| w.value(&dumped, depth + 1));
        } else if let Some(fields) = dataclass_fields(obj) {
            self.container(obj, depth, |w| w.dict(&fields, depth));
        } else {
            let text = display_text(obj);
            self.str_capped(&text, text.chars().count());
        }
    }

    fn container(&mut self, obj: &Bound<'_, PyAny>, depth: usize, body: impl FnOnce(&mut Self)) {
        if depth >= MAX_DEPTH {
            push_str(&mut self.out, &depth_marker());
            return;
        }
        let id = obj.as_ptr() as usize;
        if self.path.contains(&id) {
            push_str(&mut self.out, CYCLE_MARKER);
            return;
        }
        self.path.push(id);
        body(self);
        self.path.pop();
    }

    fn string(&mut self, s: &Bound<'_, PyString>) {
        let chars = s.len().unwrap_or(0);
        match s.to_str() {
            Ok(text) => self.str_capped(text, chars),
            // Lone surrogates cannot be UTF-8: replace them rather than drop the value.
            Err(_) => {
                let text = s.to_string_lossy();
                self.str_capped(&text, chars);
            }
        }
    }

    fn str_capped(&mut self, text: &str, chars: usize) {
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

    fn int(&mut self, i: &Bound<'_, PyInt>) {
        match i.extract::<i64>() {
            Ok(v) => push_i64(&mut self.out, v),
            // Big ints: JSON numbers have no size limit; write the digits.
            Err(_) => match i.str() {
                Ok(s) => self.out.push_str(&s.to_string_lossy()),
                Err(_) => self.out.push('0'),
            },
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

    fn dict(&mut self, d: &Bound<'_, PyDict>, depth: usize) {
        self.out.push('{');
        let len = d.len();
        for (n, (k, v)) in d.iter().take(MAX_ITEMS).enumerate() {
            if n > 0 {
                self.out.push_str(", ");
            }
            self.key(&k);
            self.out.push_str(": ");
            self.value(&v, depth + 1);
        }
        self.items_cut_marker(len, true);
        self.out.push('}');
    }

    /// Keys as `json.dumps` converts them (str as is, numbers and constants to their JSON text);
    /// other key types, which `json.dumps` rejects, become their `str()`.
    fn key(&mut self, k: &Bound<'_, PyAny>) {
        if let Ok(s) = k.cast::<PyString>() {
            // to_str borrows CPython's UTF-8 cache; to_string_lossy would encode into a new
            // bytes object for every key.
            match s.to_str() {
                Ok(text) => push_str(&mut self.out, text),
                Err(_) => push_str(&mut self.out, &s.to_string_lossy()),
            }
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
            push_str(&mut self.out, &display_text(k));
        }
    }
}

/// `obj.model_dump()` if `obj` is a pydantic model. pydantic is looked up in `sys.modules` only:
/// an app that never imported it pays nothing and imports nothing.
fn pydantic_dump<'py>(obj: &Bound<'py, PyAny>) -> Option<Bound<'py, PyAny>> {
    static BASE_MODEL: PyOnceLock<Option<Py<PyType>>> = PyOnceLock::new();
    let py = obj.py();
    let base = match BASE_MODEL.get(py) {
        Some(b) => b.as_ref()?,
        None => {
            let modules = py.import("sys").ok()?.getattr("modules").ok()?;
            let pyd = modules.get_item("pydantic").ok()?;
            let cls = pyd
                .getattr("BaseModel")
                .ok()?
                .cast_into::<PyType>()
                .ok()?
                .unbind();
            BASE_MODEL.get_or_init(py, || Some(cls)).as_ref()?
        }
    };
    if !obj.is_instance(base.bind(py)).unwrap_or(false) {
        return None;
    }
    obj.call_method0("model_dump").ok()
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
pub fn display_text(obj: &Bound<'_, PyAny>) -> String {
    if let Ok(s) = obj.str() {
        return s.to_string_lossy().into_owned();
    }
    if let Ok(s) = obj.repr() {
        return s.to_string_lossy().into_owned();
    }
    let ty = obj
        .get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "object".into());
    format!("<unrepresentable {ty} object>")
}

/// Serialises `(name, value)` pairs as one JSON object, sharing one size budget (function inputs).
pub fn object_to_json(entries: &[(Bound<'_, PyString>, Bound<'_, PyAny>)]) -> RawJson {
    let write = |w: &mut Writer| {
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
    };
    Writer::run(write)
}
