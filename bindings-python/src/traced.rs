//! `TracedFunction`: what `@trace` returns for a sync function, a native callable in the way
//! `functools.lru_cache` returns one. CPython calls it through `tp_call` with the arguments
//! tuple and keywords dict it built anyway, so a traced call runs no Python frame of its own and
//! re-packs nothing. Towards users it stands in for the function it wraps: the package copies
//! the function's attributes into its `__dict__` (`functools.update_wrapper`, so `__name__`,
//! `__doc__`, `__wrapped__` and `inspect.signature` are the function's), it binds as a method
//! (`__get__`), its repr is a function's, and it pickles by qualified name as a module-level
//! function does.

use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};
use pyo3::{PyTraverseError, PyVisit};

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
        TracedFunction { func, spec, slow }
    }

    /// For the cycle collector: a local function that calls itself (or a method of a local class)
    /// reaches its traced function again through its closure, and the cycle must be seen to be
    /// freed. PyO3 visits (and clears) the instance `__dict__` itself.
    fn __traverse__(&self, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
        visit.call(&self.func)?;
        visit.call(&self.spec)?;
        visit.call(&self.slow)
    }

    /// One traced call: what the function returns, or the exception it raises (the same object,
    /// with its traceback).
    #[pyo3(signature = (*args, **kwargs))]
    fn __call__<'py>(
        &self,
        py: Python<'py>,
        args: &Bound<'py, PyTuple>,
        kwargs: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        if let Some(result) = traced_call(py, &self.func, self.spec.get(), args, kwargs) {
            return result;
        }
        let kwargs = match kwargs {
            Some(k) => k.clone(),
            None => PyDict::new(py),
        };
        self.slow.bind(py).call1((args, kwargs))
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
