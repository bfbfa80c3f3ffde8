//! `TracedFunction`: what `@trace` returns for a sync function, a native callable in the way
//! `functools.lru_cache` returns one. CPython calls it through vectorcall with its own array of
//! arguments, so a traced call runs no Python frame of its own and builds no argument tuple or
//! dict: the same array goes on to the function. Towards users it stands in for the function it
//! wraps: the package copies the function's attributes into its `__dict__`
//! (`functools.update_wrapper`, so `__name__`, `__doc__`, `__wrapped__` and `inspect.signature`
//! are the function's), it binds as a method (`__get__`; flagged as a method descriptor, so
//! `obj.method()` skips the bound-method object, as for a function), its repr is a function's,
//! and it pickles by qualified name as a module-level function does.

use std::panic::{catch_unwind, AssertUnwindSafe};

use pyo3::exceptions::PyRuntimeError;
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};
use pyo3::{PyTraverseError, PyVisit};

use crate::args::VectorArgs;
use crate::call::traced_call;
use crate::fnspec::FnSpec;

extern "C" {
    // `types.MethodType(func, obj)`: part of CPython's C API (what a function's `__get__`
    // calls), not declared by pyo3-ffi.
    fn PyMethod_New(func: *mut ffi::PyObject, obj: *mut ffi::PyObject) -> *mut ffi::PyObject;
}

/// A function traced by `@trace`: calling it runs the function inside a span.
#[pyclass(
    name = "TracedFunction",
    module = "ferrotrace._native",
    frozen,
    dict,
    weakref
)]
pub struct TracedFunction {
    /// CPython reads the vectorcall entry of an instance at the type's `tp_vectorcall_offset`,
    /// which [`install_vectorcall`] points here.
    vectorcall: ffi::vectorcallfunc,
    func: Py<PyAny>,
    spec: Py<FnSpec>,
    /// `slow(args, kwargs)`: the package's Python path, for the cases it handles (a
    /// `tracing.context` scope, span processors).
    slow: Py<PyAny>,
}

#[pymethods]
impl TracedFunction {
    /// `func`: the traced function; `spec`: its `FnSpec`; `slow`: the Python path, called as
    /// `slow(args, kwargs)` when the native one cannot serve a call.
    #[new]
    fn new(func: Py<PyAny>, spec: Py<FnSpec>, slow: Py<PyAny>) -> Self {
        TracedFunction {
            vectorcall: vectorcall_entry,
            func,
            spec,
            slow,
        }
    }

    /// For the cycle collector: a local function that calls itself (or a method of a local class)
    /// reaches its traced function again through its closure, and the cycle must be seen to be
    /// freed. PyO3 visits (and clears) the instance `__dict__` itself.
    fn __traverse__(&self, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
        visit.call(&self.func)?;
        visit.call(&self.spec)?;
        visit.call(&self.slow)
    }

    /// A call with an arguments tuple and a keywords dict (`PyObject_Call`): CPython turns it
    /// into the vectorcall below, so both conventions run the same code.
    #[pyo3(signature = (*args, **kwargs))]
    fn __call__<'py>(
        slf: &Bound<'py, Self>,
        args: &Bound<'py, PyTuple>,
        kwargs: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let kw = kwargs.map_or(std::ptr::null_mut(), |k| k.as_ptr());
        // SAFETY: live objects; the result is a new reference or NULL with an error set.
        unsafe {
            Bound::from_owned_ptr_or_err(
                slf.py(),
                ffi::PyVectorcall_Call(slf.as_ptr(), args.as_ptr(), kw),
            )
        }
    }

    /// As a function's: on an instance, a bound method; on the class, itself.
    fn __get__<'py>(
        slf: &Bound<'py, Self>,
        obj: Option<&Bound<'py, PyAny>>,
        owner: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let _ = owner;
        match obj {
            Some(obj) if !obj.is_none() => {
                // SAFETY: both are live objects; the call returns a new reference or NULL with
                // an error set.
                unsafe {
                    Bound::from_owned_ptr_or_err(slf.py(), PyMethod_New(slf.as_ptr(), obj.as_ptr()))
                }
            }
            _ => Ok(slf.clone().into_any()),
        }
    }

    fn __repr__(slf: &Bound<'_, Self>) -> String {
        let name = slf
            .getattr("__qualname__")
            .and_then(|n| n.str().map(|s| s.to_string()))
            .unwrap_or_else(|_| "?".to_owned());
        format!("<function {name} at {:#x}>", slf.as_ptr() as usize)
    }

    /// Pickled by reference, as a function is: its module and qualified name.
    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        slf.getattr("__qualname__")
    }
}

impl TracedFunction {
    /// One traced call: what the function returns, or the exception it raises (the same object,
    /// with its traceback).
    fn call<'py>(
        &self,
        py: Python<'py>,
        args: &VectorArgs<'_, 'py>,
    ) -> PyResult<Bound<'py, PyAny>> {
        if let Some(result) = traced_call(py, &self.func, self.spec.get(), args) {
            return result;
        }
        let (args, kwargs) = args.as_tuple_dict()?;
        self.slow.bind(py).call1((args, kwargs))
    }
}

/// The vectorcall entry of every `TracedFunction`.
///
/// # Safety
///
/// Called by CPython only, through the vectorcall slot of a `TracedFunction`: `callable` is
/// that instance and `args`, `nargsf`, `kwnames` follow the vectorcall protocol, with the
/// thread attached.
unsafe extern "C" fn vectorcall_entry(
    callable: *mut ffi::PyObject,
    args: *const *mut ffi::PyObject,
    nargsf: usize,
    kwnames: *mut ffi::PyObject,
) -> *mut ffi::PyObject {
    // SAFETY: CPython calls with the thread attached. (PyO3's own entry points also count the
    // attachment, which makes it release a `Py` dropped inside at once rather than at its next
    // entry; the path here drops none but on errors, and counting costs ~170 instructions.)
    let py = unsafe { Python::assume_attached() };
    // A panic must not unwind into CPython: it becomes an exception, as PyO3's own entry
    // points do.
    let out = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: CPython passes an instance of the type this entry is installed on, and
        // the arguments as the vectorcall protocol lays them out.
        let slf = unsafe { Borrowed::from_ptr(py, callable).cast_unchecked::<TracedFunction>() };
        // SAFETY: CPython lays `args` out as the protocol says (`VectorArgs::new`'s contract)
        // and keeps them alive until this call returns, which outlives `args`.
        let args = unsafe { VectorArgs::new(py, args, nargsf, kwnames) };
        slf.get().call(py, &args)
    }));
    match out {
        Ok(Ok(value)) => value.into_ptr(),
        Ok(Err(e)) => {
            e.restore(py);
            std::ptr::null_mut()
        }
        Err(_) => {
            // Unreachable in practice: `traced_call` catches its own panics around the call.
            ferrotrace_core::global().count_internal_error("a traced call");
            PyRuntimeError::new_err("ferrotrace: internal error (panic) in a traced call")
                .restore(py);
            std::ptr::null_mut()
        }
    }
}

/// Makes CPython call `TracedFunction` instances through [`vectorcall_entry`], and treat them as
/// method descriptors (as functions are): sets the type's `tp_vectorcall_offset` to where the
/// entry sits in an instance (measured on one) and the matching flags. Called once, at import.
pub(crate) fn install_vectorcall(py: Python<'_>) -> PyResult<()> {
    let spec = FnSpec::new("probe".into(), "UNKNOWN".into(), None, None, None, None);
    let probe = Bound::new(
        py,
        TracedFunction::new(py.None(), Py::new(py, spec)?, py.None()),
    )?;
    let offset = std::ptr::addr_of!(probe.get().vectorcall) as isize - probe.as_ptr() as isize;
    let ty = probe.get_type();
    // SAFETY: the type object is alive (held by `probe`) and not yet used to call anything
    // through vectorcall; the fields written are the ones CPython reads for vectorcall.
    unsafe {
        let tp = ty.as_type_ptr();
        (*tp).tp_vectorcall_offset = offset as ffi::Py_ssize_t;
        (*tp).tp_flags |= ffi::Py_TPFLAGS_HAVE_VECTORCALL | ffi::Py_TPFLAGS_METHOD_DESCRIPTOR;
        ffi::PyType_Modified(tp);
    }
    Ok(())
}
