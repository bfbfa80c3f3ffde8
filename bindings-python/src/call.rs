//! The native body of `@trace` on a sync function ([`traced_call`], called by the
//! [`crate::traced::TracedFunction`] that `@trace` returns): reads the active span, starts the
//! span, sets the `CURRENT` contextvar for the function, ends the span and resets the contextvar
//! (a root stays in it, closed, as the context's last trace; see [`PySpan`]), all through the
//! contextvar C API. That API is outside Python's limited API, so
//! an abi3 build (feature `abi3`) leaves this module out and the package keeps its Python wrapper.
//!
//! Cases the Python path handles better (a `tracing.context` scope is active, span processors
//! are registered) make [`traced_call`] return `None`, and the caller runs the Python path.
//! Nothing here raises into user code: an internal failure is a diag warning and the function
//! runs (or its result is returned) unchanged.

use std::ptr;
use std::sync::atomic::{AtomicBool, Ordering};

use pyo3::exceptions::PyTypeError;
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;

use crate::args::VectorArgs;
use crate::fnspec::FnSpec;
use crate::guard::{fault, guard, Point};
use crate::span::PySpan;

/// The Python package's contextvars (`ferrotrace._context`), handed over once at import.
struct Vars {
    current: Py<PyAny>,
    scope: Py<PyAny>,
}

static VARS: PyOnceLock<Vars> = PyOnceLock::new();

/// Mirrors `_context.PROCESSORS` being non-empty: processors run in the Python path.
static PROCESSORS: AtomicBool = AtomicBool::new(false);

/// Hands the contextvars `CURRENT` and `SCOPE` of `ferrotrace._context` to the native
/// wrapper. Called once, when that module is imported.
#[pyfunction]
pub(crate) fn install_context(
    py: Python<'_>,
    current: Bound<'_, PyAny>,
    scope: Bound<'_, PyAny>,
) -> PyResult<()> {
    for v in [&current, &scope] {
        // SAFETY: a type check on a live object.
        if unsafe { ffi::PyContextVar_CheckExact(v.as_ptr()) } == 0 {
            return Err(PyTypeError::new_err(
                "install_context() takes two ContextVar objects",
            ));
        }
    }
    let _ = VARS.set(
        py,
        Vars {
            current: current.unbind(),
            scope: scope.unbind(),
        },
    );
    Ok(())
}

/// Tells the native wrapper whether span processors are registered (they run in Python).
#[pyfunction]
pub(crate) fn set_processors_present(present: bool) {
    PROCESSORS.store(present, Ordering::Relaxed);
}

/// The value of a contextvar in the current context (its default if unset).
fn var_get<'py>(py: Python<'py>, var: &Py<PyAny>) -> PyResult<Bound<'py, PyAny>> {
    let mut out = ptr::null_mut();
    // SAFETY: `var` is a ContextVar (checked at install); `out` receives a new reference or NULL.
    unsafe {
        if ffi::PyContextVar_Get(var.as_ptr(), ptr::null_mut(), &mut out) < 0 {
            return Err(PyErr::fetch(py));
        }
        if out.is_null() {
            return Ok(py.None().into_bound(py));
        }
        Ok(Bound::from_owned_ptr(py, out))
    }
}

/// Sets a contextvar; returns the token that resets it.
fn var_set<'py>(
    py: Python<'py>,
    var: &Py<PyAny>,
    value: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    // SAFETY: `var` is a ContextVar; the call returns a new reference or NULL with an error set.
    unsafe { Bound::from_owned_ptr_or_err(py, ffi::PyContextVar_Set(var.as_ptr(), value.as_ptr())) }
}

fn var_reset(py: Python<'_>, var: &Py<PyAny>, token: &Bound<'_, PyAny>) -> PyResult<()> {
    // SAFETY: `var` is a ContextVar and `token` came from setting it.
    if unsafe { ffi::PyContextVar_Reset(var.as_ptr(), token.as_ptr()) } < 0 {
        return Err(PyErr::fetch(py));
    }
    Ok(())
}

/// An internal failure of the wrapper: warned about, never raised.
fn internal(err: &PyErr, what: &str) {
    ferrotrace_core::diag::warn(
        "sync_call",
        format!("@trace: {what} failed ({err}); the call ran untraced or its span is incomplete"),
    );
}

/// How a traced call begins.
enum Begin<'py> {
    /// The Python path must serve this call.
    Python,
    /// Run the function untraced.
    Untraced,
    /// A root sampled out whatever its id: no span, only the counts.
    Unsampled,
    Traced(Bound<'py, PySpan>),
}

/// One traced call of `func`: returns what the function returns, raises what it raises (the
/// same exception object and traceback), or `None` when the Python path must run instead.
/// The function runs exactly once whatever fails in the tracer around it: a panic before it
/// runs leaves the call untraced, a panic after it leaves the span ended and the active span
/// restored (both counted in stats()).
pub(crate) fn traced_call<'py>(
    py: Python<'py>,
    func: &Py<PyAny>,
    spec: &FnSpec,
    args: &VectorArgs<'_, 'py>,
) -> Option<PyResult<Bound<'py, PyAny>>> {
    let tracer = ferrotrace_core::global();
    if !tracer.enabled() {
        return Some(args.call(func));
    }
    let vars = VARS.get(py)?;
    if PROCESSORS.load(Ordering::Relaxed) {
        return None;
    }
    let span = match guard(
        "starting a traced call",
        || begin(py, vars, spec, args),
        || Begin::Untraced,
    ) {
        Begin::Python => return None,
        Begin::Untraced => return Some(args.call(func)),
        Begin::Unsampled => return Some(tracer.run_unsampled(|| args.call(func))),
        Begin::Traced(span) => span,
    };
    let is_root = span.try_borrow().is_ok_and(|s| s.is_root);
    let token = var_set(py, &vars.current, span.as_any());
    let result = args.call(func);
    guard(
        "ending a traced call",
        || end(py, vars, &span, is_root, &token, &result),
        || recover(py, vars, &span, is_root, &token),
    );
    Some(result)
}

/// Reads the active span and starts the call's span (inputs captured).
fn begin<'py>(
    py: Python<'py>,
    vars: &Vars,
    spec: &FnSpec,
    args: &VectorArgs<'_, 'py>,
) -> Begin<'py> {
    let parent = match var_get(py, &vars.scope) {
        Ok(scope) if scope.is_none() => var_get(py, &vars.current),
        Ok(_) => return Begin::Python,
        Err(e) => Err(e),
    };
    let parent = match parent {
        Ok(p) => p,
        Err(e) => {
            internal(&e, "reading the active span");
            return Begin::Untraced;
        }
    };
    let parent = if parent.is_none() {
        None
    } else {
        match parent.cast::<PySpan>() {
            Ok(p) => Some(p.clone()),
            // Not a span (set by someone else): run untraced, as the Python path does.
            Err(_) => return Begin::Untraced,
        }
    };
    if ferrotrace_core::global().roots_never_sampled() && parent.as_ref().is_none_or(is_closed) {
        // A root that is sampled out whatever its id, and so is all it starts: no span, no
        // active span (as under MLflow, where the active span is then a non-recording one
        // that get_current_active_span() reports as None), only the counts.
        return Begin::Unsampled;
    }
    fault(Point::Start);
    match spec.start_call(py, parent.as_ref(), args, None) {
        Some(span) => Begin::Traced(span.into_bound(py)),
        None => Begin::Untraced,
    }
}

/// Restores the active span and ends the call's span with its result.
fn end<'py>(
    py: Python<'py>,
    vars: &Vars,
    span: &Bound<'py, PySpan>,
    is_root: bool,
    token: &PyResult<Bound<'py, PyAny>>,
    result: &PyResult<Bound<'py, PyAny>>,
) {
    // A root stays in the contextvar, to be closed by its end below: the context's last trace,
    // no active span. Only if the contextvar still holds it: a value the function left there (a
    // span it did not end) is not kept.
    let keep = is_root && current_is(py, &vars.current, span);
    match token {
        Ok(_) if keep => {}
        Ok(token) => {
            if let Err(e) = var_reset(py, &vars.current, token) {
                internal(&e, "restoring the active span");
            }
        }
        Err(e) => internal(e, "setting the active span"),
    }
    match result {
        Ok(value) => {
            PySpan::_end_ok(span, value);
        }
        Err(err) => {
            let exc = err.value(py);
            // CPython sets `__traceback__` when an `except` clause catches; the span's stack
            // trace reads it, so set it as a Python wrapper would have seen it.
            if let Some(tb) = err.traceback(py) {
                // SAFETY: both are live objects; the call takes its own reference.
                unsafe { ffi::PyException_SetTraceback(exc.as_ptr(), tb.as_ptr()) };
            }
            PySpan::_end_exc(span, exc);
        }
    }
    if is_root && !keep {
        after_root(py, &vars.current, span);
    }
}

/// After a panic in [`end`]: the span ended (a root closed) and not left active.
fn recover<'py>(
    py: Python<'py>,
    vars: &Vars,
    span: &Bound<'py, PySpan>,
    is_root: bool,
    token: &PyResult<Bound<'py, PyAny>>,
) {
    if !is_closed(span) {
        PySpan::close_now(span);
    }
    if !is_root && current_is(py, &vars.current, span) {
        if let Ok(token) = token {
            // Fails harmlessly if `end` had already used the token.
            let _ = var_reset(py, &vars.current, token);
        }
    }
}

/// `_context.after_root`: a root whose contextvar value was reset becomes the context's last
/// trace, unless the context has an active span.
fn after_root(py: Python<'_>, var: &Py<PyAny>, span: &Bound<'_, PySpan>) {
    let free = match var_get(py, var) {
        Ok(v) => v.is_none() || v.cast::<PySpan>().is_ok_and(is_closed),
        Err(_) => false,
    };
    if free {
        if let Err(e) = var_set(py, var, span.as_any()) {
            internal(&e, "recording the last trace");
        }
    }
}

fn is_closed(span: &Bound<'_, PySpan>) -> bool {
    span.try_borrow().is_ok_and(|s| s.closed)
}

/// Whether the contextvar's value is `span` (no reference taken: a read of the variable's cache).
fn current_is(py: Python<'_>, var: &Py<PyAny>, span: &Bound<'_, PySpan>) -> bool {
    var_get(py, var).is_ok_and(|v| v.is(span))
}
