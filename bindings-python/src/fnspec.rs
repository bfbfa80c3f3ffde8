//! `FnSpec`: what `@trace` learns about a function once, at decoration time, so that each call
//! only binds arguments to parameter names and writes them as JSON.

use ferrotrace_core::model::keys::attr;
use ferrotrace_core::model::RawJson;
use ferrotrace_core::tracer::RootOptions;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString, PyTuple, PyType};
use smallvec::SmallVec;

use crate::args::{CallArgs, TupleArgs};
use crate::guard::{fault, guard, Point};
use crate::span::{context_parent, PySpan};
use crate::value::{object_to_json, to_json};

// inspect.Parameter kinds.
const POSITIONAL_ONLY: u8 = 0;
const POSITIONAL_OR_KEYWORD: u8 = 1;
const VAR_POSITIONAL: u8 = 2;
const KEYWORD_ONLY: u8 = 3;
const VAR_KEYWORD: u8 = 4;

struct Param {
    name: Py<PyString>,
    kind: u8,
    default: Option<Py<PyAny>>,
}

/// `(name, kind, has_default, default)` of one `inspect.Parameter`.
type ParamTuple<'py> = (Bound<'py, PyString>, u8, bool, Bound<'py, PyAny>);

#[derive(Clone, Copy, PartialEq)]
enum SkipFirst {
    No,
    /// MLflow drops `self` when its value is truthy.
    SelfIfTruthy,
    /// MLflow drops a first `cls` when its value is a class.
    ClsIfClass,
}

/// A traced function's name, type, static attributes and parameters.
#[pyclass(module = "ferrotrace._native", frozen)]
pub struct FnSpec {
    /// Shared with every span of this function: a clone is a reference count, not a copy.
    name: std::sync::Arc<str>,
    span_type: RawJson,
    /// `None` for generators: MLflow does not record the function name on their spans.
    function_name: Option<RawJson>,
    attributes: Vec<(String, RawJson)>,
    params: Vec<Param>,
    skip_first: SkipFirst,
    sampling_ratio: Option<f64>,
}

#[pymethods]
impl FnSpec {
    /// `params`: `(name, kind, has_default, default)` per `inspect.Parameter`, or `None` when
    /// the signature is unknown (inputs are then not captured).
    #[new]
    #[pyo3(signature = (name, span_type, function_name, attributes=None, params=None, sampling_ratio=None))]
    pub(crate) fn new(
        name: String,
        span_type: String,
        function_name: Option<String>,
        attributes: Option<&Bound<'_, PyDict>>,
        params: Option<Vec<ParamTuple<'_>>>,
        sampling_ratio: Option<f64>,
    ) -> Self {
        let attributes = attributes
            .map(|d| {
                crate::value::dict_items(d)
                    .iter()
                    .map(|(k, v)| (crate::value::display_text(k), to_json(v)))
                    .collect()
            })
            .unwrap_or_default();
        let params: Vec<Param> = params
            .unwrap_or_default()
            .into_iter()
            .map(|(name, kind, has_default, default)| Param {
                name: name.unbind(),
                kind,
                default: has_default.then(|| default.unbind()),
            })
            .collect();
        let skip_first = Python::attach(|py| match params.first() {
            Some(p) if p.kind <= POSITIONAL_OR_KEYWORD && p.name.bind(py) == "self" => {
                SkipFirst::SelfIfTruthy
            }
            Some(p) if p.kind <= POSITIONAL_OR_KEYWORD && p.name.bind(py) == "cls" => {
                SkipFirst::ClsIfClass
            }
            _ => SkipFirst::No,
        });
        if let Some(ratio) = sampling_ratio {
            // Declared now, before any call: a positive ratio turns off span-less unsampled calls.
            ferrotrace_core::global().note_ratio_override(ratio);
        }
        FnSpec {
            // Shared: set on every call, so cloning them must not allocate.
            span_type: RawJson::string(&span_type).into_shared(),
            function_name: function_name.map(|f| RawJson::string(&f).into_shared()),
            name: name.into(),
            attributes,
            params,
            skip_first,
            sampling_ratio,
        }
    }

    /// Starts the span for one call: a child of `parent` (the active-span contextvar's value;
    /// a closed root is no parent), or a new trace. Returns `None` when tracing is disabled (the
    /// wrapper then just calls the function).
    #[pyo3(signature = (parent, args, kwargs=None, traceparent=None))]
    pub(crate) fn start(
        &self,
        py: Python<'_>,
        parent: Option<&Bound<'_, PySpan>>,
        args: &Bound<'_, PyTuple>,
        kwargs: Option<&Bound<'_, PyDict>>,
        traceparent: Option<&str>,
    ) -> Option<Py<PySpan>> {
        // A panic here leaves the call untraced, not failed.
        guard(
            "starting a span",
            || {
                fault(Point::Start);
                self.start_call(py, parent, &TupleArgs { args, kwargs }, traceparent)
            },
            || None,
        )
    }
}

impl FnSpec {
    /// [`FnSpec::start`] for arguments in either calling convention.
    pub(crate) fn start_call<'py>(
        &self,
        py: Python<'py>,
        parent: Option<&Bound<'py, PySpan>>,
        args: &impl CallArgs<'py>,
        traceparent: Option<&str>,
    ) -> Option<Py<PySpan>> {
        let tracer = ferrotrace_core::global();
        if !tracer.enabled() {
            return None;
        }
        let (parent, last) = context_parent(parent);
        let mut span = match parent {
            Some(p) => tracer.start_child(&self.name, &p.ctx, None),
            None => tracer.start_root(
                &self.name,
                RootOptions {
                    sampling_ratio: self.sampling_ratio,
                    // Inside set_tracing_context_from_http_request_headers: continue that trace.
                    remote_parent: traceparent.and_then(ferrotrace_core::model::TraceParent::parse),
                    ..Default::default()
                },
            ),
        };
        if span.context().sampled() {
            span.set_attribute(attr::SPAN_TYPE, self.span_type.clone());
            if let Some(f) = &self.function_name {
                span.set_attribute(attr::FUNCTION_NAME, f.clone());
            }
            for (k, v) in &self.attributes {
                span.set_attribute(k.clone(), v.clone());
            }
            if let Some(inputs) = self.bind_inputs(py, args) {
                span.set_attribute(attr::INPUTS, inputs);
            }
        }
        Py::new(py, PySpan::new(span, last)).ok()
    }

    /// `inspect.signature(fn).bind(*args, **kwargs)` + `apply_defaults()`, minus `self`/`cls`,
    /// written as a JSON object. `None` when the call does not fit the signature (the call itself
    /// will then raise `TypeError` for the user, as without tracing).
    fn bind_inputs<'py>(&self, py: Python<'py>, args: &impl CallArgs<'py>) -> Option<RawJson> {
        let nargs = args.nargs();
        let mut used_kwargs = 0usize;
        let mut next = 0usize;
        // Inline up to 8 parameters: no allocation per call for ordinary signatures.
        let mut bound: SmallVec<[(Bound<'py, PyString>, Bound<'py, PyAny>); 8]> = SmallVec::new();
        let mut var_kw: Option<Bound<'py, PyString>> = None;
        for p in &self.params {
            let name = p.name.bind(py).clone();
            let value = match p.kind {
                POSITIONAL_ONLY | POSITIONAL_OR_KEYWORD => {
                    if next < nargs {
                        next += 1;
                        args.arg(next - 1)?
                    } else if let Some(v) = (p.kind == POSITIONAL_OR_KEYWORD)
                        .then(|| args.kw(&name))
                        .flatten()
                    {
                        used_kwargs += 1;
                        v
                    } else {
                        p.default.as_ref()?.bind(py).clone()
                    }
                }
                VAR_POSITIONAL => {
                    let rest = args.rest(next);
                    next = nargs;
                    rest
                }
                KEYWORD_ONLY => match args.kw(&name) {
                    Some(v) => {
                        used_kwargs += 1;
                        v
                    }
                    None => p.default.as_ref()?.bind(py).clone(),
                },
                VAR_KEYWORD => {
                    var_kw = Some(name);
                    continue;
                }
                _ => return None,
            };
            bound.push((name, value));
        }
        if next < nargs {
            return None;
        }
        let extra = args.nkw() - used_kwargs;
        match (&var_kw, extra) {
            (None, 0) => {}
            (None, _) => return None,
            (Some(name), _) => {
                let rest = PyDict::new(py);
                for (key, v) in args.kw_items() {
                    let named = self.params.iter().any(|p| {
                        matches!(p.kind, POSITIONAL_OR_KEYWORD | KEYWORD_ONLY)
                            && p.name.bind(py).as_any().eq(&key).unwrap_or(false)
                    });
                    if !named {
                        rest.set_item(key, v).ok()?;
                    }
                }
                // Keep signature order: **kwargs is last.
                bound.push((name.clone(), rest.into_any()));
            }
        }
        if let Some((_, first)) = bound.first() {
            let drop_first = match self.skip_first {
                SkipFirst::No => false,
                SkipFirst::SelfIfTruthy => first.is_truthy().unwrap_or(true),
                SkipFirst::ClsIfClass => first.is_instance_of::<PyType>(),
            };
            if drop_first {
                bound.remove(0);
            }
        }
        Some(object_to_json(&bound))
    }
}
