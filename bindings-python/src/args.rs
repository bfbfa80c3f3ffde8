//! The arguments of one traced call, in either of CPython's two calling conventions: a tuple and
//! a dict (`tp_call`, the Python paths), or the caller's own array of values plus a tuple of
//! keyword names (vectorcall: what `TracedFunction` receives, with no tuple or dict built). Input
//! binding reads both through [`CallArgs`].

#[cfg(not(feature = "abi3"))]
use std::ptr;

#[cfg(not(feature = "abi3"))]
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString, PyTuple};

/// What input binding needs of a call's arguments.
pub(crate) trait CallArgs<'py> {
    fn nargs(&self) -> usize;
    /// Positional argument `i` (< `nargs()`).
    fn arg(&self, i: usize) -> Option<Bound<'py, PyAny>>;
    /// The positional arguments from `from` on, as the tuple a `*args` parameter receives.
    fn rest(&self, from: usize) -> Bound<'py, PyAny>;
    /// The keyword argument `name`.
    fn kw(&self, name: &Bound<'py, PyString>) -> Option<Bound<'py, PyAny>>;
    fn nkw(&self) -> usize;
    /// Every keyword argument, in the caller's order.
    fn kw_items(&self) -> Vec<(Bound<'py, PyAny>, Bound<'py, PyAny>)>;
}

/// `fn(*args, **kwargs)` as a tuple and a dict.
pub(crate) struct TupleArgs<'a, 'py> {
    pub(crate) args: &'a Bound<'py, PyTuple>,
    pub(crate) kwargs: Option<&'a Bound<'py, PyDict>>,
}

impl<'py> CallArgs<'py> for TupleArgs<'_, 'py> {
    fn nargs(&self) -> usize {
        self.args.len()
    }

    fn arg(&self, i: usize) -> Option<Bound<'py, PyAny>> {
        self.args.get_item(i).ok()
    }

    fn rest(&self, from: usize) -> Bound<'py, PyAny> {
        self.args.get_slice(from, self.args.len()).into_any()
    }

    fn kw(&self, name: &Bound<'py, PyString>) -> Option<Bound<'py, PyAny>> {
        self.kwargs.and_then(|k| k.get_item(name).ok().flatten())
    }

    fn nkw(&self) -> usize {
        self.kwargs.map_or(0, |k| k.len())
    }

    fn kw_items(&self) -> Vec<(Bound<'py, PyAny>, Bound<'py, PyAny>)> {
        self.kwargs.map(|k| k.iter().collect()).unwrap_or_default()
    }
}

/// A vectorcall (outside the limited API before 3.12, so not in abi3 builds): `nargs` positional values, then one value per name in `kwnames`, all borrowed
/// from the caller for the duration of the call.
#[cfg(not(feature = "abi3"))]
#[derive(Clone, Copy)]
pub(crate) struct VectorArgs<'a, 'py> {
    py: Python<'py>,
    values: *const *mut ffi::PyObject,
    /// As the caller passed it: the count plus, maybe, `PY_VECTORCALL_ARGUMENTS_OFFSET`, which
    /// forwarding the same array to the function may pass on.
    nargsf: usize,
    nargs: usize,
    kwnames: Option<Borrowed<'a, 'py, PyTuple>>,
}

#[cfg(not(feature = "abi3"))]
impl<'a, 'py> VectorArgs<'a, 'py> {
    /// # Safety
    ///
    /// `values` holds `PyVectorcall_NARGS(nargsf)` positional values followed by one value per
    /// entry of `kwnames` (a tuple of strings, or NULL), all alive for `'a`.
    pub(crate) unsafe fn new(
        py: Python<'py>,
        values: *const *mut ffi::PyObject,
        nargsf: usize,
        kwnames: *mut ffi::PyObject,
    ) -> Self {
        // SAFETY: `kwnames` is a tuple or NULL (caller's contract).
        let kwnames = unsafe { Borrowed::from_ptr_or_opt(py, kwnames) }
            // SAFETY: not NULL here, so a tuple (the caller's contract).
            .map(|k| unsafe { k.cast_unchecked::<PyTuple>() });
        VectorArgs {
            py,
            values,
            nargsf,
            // SAFETY: pure arithmetic on `nargsf` (it masks the offset flag off), no memory read.
            nargs: unsafe { ffi::PyVectorcall_NARGS(nargsf) } as usize,
            kwnames,
        }
    }

    fn value(&self, i: usize) -> Bound<'py, PyAny> {
        // SAFETY: `i` < nargs + nkw (callers check), and the value lives for the call.
        unsafe { Bound::from_borrowed_ptr(self.py, *self.values.add(i)) }
    }

    /// Calls `func` with the same arguments (the same array: nothing is copied).
    pub(crate) fn call(&self, func: &Py<PyAny>) -> PyResult<Bound<'py, PyAny>> {
        let kwnames = self.kwnames.map_or(ptr::null_mut(), |k| k.as_ptr());
        // SAFETY: the array and names are as the caller gave them; the result is a new
        // reference or NULL with an error set.
        unsafe {
            Bound::from_owned_ptr_or_err(
                self.py,
                ffi::PyObject_Vectorcall(func.as_ptr(), self.values, self.nargsf, kwnames),
            )
        }
    }

    /// The same arguments as a tuple and a dict, for the Python path.
    pub(crate) fn as_tuple_dict(&self) -> PyResult<(Bound<'py, PyTuple>, Bound<'py, PyDict>)> {
        let args = PyTuple::new(self.py, (0..self.nargs).map(|i| self.value(i)))?;
        let kwargs = PyDict::new(self.py);
        for (k, v) in self.kw_items() {
            kwargs.set_item(k, v)?;
        }
        Ok((args, kwargs))
    }
}

#[cfg(not(feature = "abi3"))]
impl<'py> CallArgs<'py> for VectorArgs<'_, 'py> {
    fn nargs(&self) -> usize {
        self.nargs
    }

    fn arg(&self, i: usize) -> Option<Bound<'py, PyAny>> {
        (i < self.nargs).then(|| self.value(i))
    }

    fn rest(&self, from: usize) -> Bound<'py, PyAny> {
        match PyTuple::new(self.py, (from..self.nargs).map(|i| self.value(i))) {
            Ok(t) => t.into_any(),
            Err(_) => PyTuple::empty(self.py).into_any(),
        }
    }

    fn kw(&self, name: &Bound<'py, PyString>) -> Option<Bound<'py, PyAny>> {
        let names = self.kwnames?;
        // Names are interned (by the compiler, and CPython interns keyword names), so identity
        // finds them; a name built at run time is compared by value, as CPython does.
        let at = (0..names.len())
            .find(|&i| names.get_borrowed_item(i).is_ok_and(|n| n.is(name)))
            .or_else(|| {
                (0..names.len()).find(|&i| {
                    names
                        .get_borrowed_item(i)
                        .is_ok_and(|n| n.eq(name).unwrap_or(false))
                })
            })?;
        Some(self.value(self.nargs + at))
    }

    fn nkw(&self) -> usize {
        self.kwnames.map_or(0, |k| k.len())
    }

    fn kw_items(&self) -> Vec<(Bound<'py, PyAny>, Bound<'py, PyAny>)> {
        let Some(names) = self.kwnames else {
            return Vec::new();
        };
        (0..names.len())
            .filter_map(|i| {
                let name = names.get_borrowed_item(i).ok()?.to_owned();
                Some((name, self.value(self.nargs + i)))
            })
            .collect()
    }
}
