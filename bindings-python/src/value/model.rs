//! pydantic models, written as MLflow's encoder writes them: the JSON of `obj.model_dump()`.
//!
//! `model_dump()` builds a dict tree that the writer then walks and frees: for a small model it
//! costs several times the walk, and a streamed LLM call pays it once per chunk. A class whose
//! dump is, by construction, its stored field values (`ferrotrace._plain_models` decides, once
//! per class) is written straight from the instance's `__dict__` and extra fields instead. The
//! text is the same: whatever pydantic would do differently (a field holding a model of a class
//! its type does not name, a cycle, a model resized meanwhile, more fields than the item cap)
//! hands the model back to pydantic, from its first byte.
//!
//! Other models go through their serializer: `model_dump()` is exactly
//! `__pydantic_serializer__.to_python(self)` with its defaults, and skipping its Python frame
//! (fourteen keyword arguments) halves the cost of a small model.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use ferrotrace_core::model::caps::{depth_marker, MAX_DEPTH, MAX_ITEMS};
use ferrotrace_core::model::json::push_str;
use pyo3::ffi;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyString, PyTuple, PyType};

use super::{dict_items, Writer};

/// pydantic's `BaseModel` and its own `model_dump`, read once from `sys.modules`.
struct Pydantic {
    base: Py<PyType>,
    model_dump: Py<PyAny>,
}

/// The exact model classes (type pointers) a field's value may hold; None: any.
type Allowed = Option<Arc<[usize]>>;

/// The fields of a class whose instances are written field by field, in `__dict__` order:
/// each name and what its value may hold.
pub(super) struct Plain {
    fields: Vec<(Py<PyString>, Allowed)>,
}

/// How a pydantic model is written.
pub(super) enum Model {
    Plain(Arc<Plain>),
    /// Through `model_dump()` (`own`: pydantic's own, called through the serializer).
    Dump {
        own: bool,
    },
}

/// Model classes seen so far (held, so a pointer never names another class), with their
/// answer. Bounded: past it, classes not yet seen are dumped by pydantic.
type Classes = HashMap<usize, (Py<PyType>, Option<Arc<Plain>>)>;
static CLASSES: Mutex<Option<Classes>> = Mutex::new(None);
const MAX_CLASSES: usize = 4096;

/// The model kind of `obj`, or None if it is not a pydantic model. pydantic is looked up in
/// `sys.modules` only: an app that never imported it pays nothing and imports nothing. The
/// subclass test reads the type's MRO (no `__instancecheck__` frame); a virtual subclass still
/// takes `isinstance`.
pub(super) fn pydantic(obj: &Bound<'_, PyAny>) -> Option<Model> {
    static PYDANTIC: PyOnceLock<Option<Pydantic>> = PyOnceLock::new();
    let py = obj.py();
    let pyd = match PYDANTIC.get(py) {
        Some(p) => p.as_ref()?,
        None => {
            let modules = py.import("sys").ok()?.getattr("modules").ok()?;
            let module = modules.get_item("pydantic").ok()?;
            let base = module
                .getattr("BaseModel")
                .ok()?
                .cast_into::<PyType>()
                .ok()?;
            let model_dump = base.getattr("model_dump").ok()?.unbind();
            let found = Pydantic {
                base: base.unbind(),
                model_dump,
            };
            PYDANTIC.get_or_init(py, || Some(found)).as_ref()?
        }
    };
    let base = pyd.base.bind(py);
    let ty = obj.get_type();
    // SAFETY: two live type objects; a subtype test reads their MROs and runs no Python code.
    if unsafe { ffi::PyType_IsSubtype(ty.as_type_ptr(), base.as_type_ptr()) } == 0 {
        return obj
            .is_instance(base)
            .unwrap_or(false)
            .then_some(Model::Dump { own: false });
    }
    if let Some(plain) = plain(&ty) {
        return Some(Model::Plain(plain));
    }
    let own = ty
        .getattr(intern!(py, "model_dump"))
        .is_ok_and(|m| m.is(pyd.model_dump.bind(py)));
    Some(Model::Dump { own })
}

/// The cached answer for a model class, asking `ferrotrace._plain_models` on first sight.
fn plain(ty: &Bound<'_, PyType>) -> Option<Arc<Plain>> {
    let key = ty.as_ptr() as usize;
    {
        let classes = CLASSES.lock().ok()?;
        if let Some((_, answer)) = classes.as_ref().and_then(|m| m.get(&key)) {
            return answer.clone();
        }
        if classes.as_ref().is_some_and(|m| m.len() >= MAX_CLASSES) {
            return None;
        }
    }
    // No lock held here: the question runs Python code.
    let answer = ask(ty).map(Arc::new);
    let mut classes = CLASSES.lock().ok()?;
    classes
        .get_or_insert_with(HashMap::new)
        .insert(key, (ty.clone().unbind(), answer.clone()));
    answer
}

fn ask(ty: &Bound<'_, PyType>) -> Option<Plain> {
    static FIELDS: PyOnceLock<Option<Py<PyAny>>> = PyOnceLock::new();
    let py = ty.py();
    let f = FIELDS
        .get_or_init(py, || {
            py.import("ferrotrace._plain_models")
                .and_then(|m| m.getattr("plain_fields"))
                .ok()
                .map(Bound::unbind)
        })
        .as_ref()?;
    let answer = f.bind(py).call1((ty,)).ok()?;
    let answer = answer.cast::<PyTuple>().ok()?;
    let mut fields = Vec::with_capacity(answer.len());
    for field in answer.iter() {
        let (name, allowed): (Bound<'_, PyString>, Option<Bound<'_, PyTuple>>) =
            field.extract().ok()?;
        let allowed = allowed.map(|t| t.iter().map(|c| c.as_ptr() as usize).collect());
        fields.push((name.unbind(), allowed));
    }
    Some(Plain { fields })
}

/// Whether `key` names one of the class's fields.
fn is_field(key: &Bound<'_, PyAny>, plain: &Plain) -> bool {
    plain.fields.iter().any(|(name, _)| {
        let name = name.bind(key.py());
        key.is(name) || key.eq(name).unwrap_or(true)
    })
}

/// `model_dump()` of a model, None if it raised.
fn dump<'py>(obj: &Bound<'py, PyAny>, own: bool) -> Option<Bound<'py, PyAny>> {
    let py = obj.py();
    if own {
        // A serializer that raises is what `model_dump()` would have raised: not run twice.
        if let Ok(ser) = obj
            .get_type()
            .getattr(intern!(py, "__pydantic_serializer__"))
        {
            return ser.call_method1(intern!(py, "to_python"), (obj,)).ok();
        }
    }
    obj.call_method0(intern!(py, "model_dump")).ok()
}

/// How a field-by-field write ended.
enum Walk {
    Done,
    /// Nothing written: pydantic writes this model.
    Dump,
    /// Nothing written: an enclosing model is handed to pydantic.
    Up,
}

impl Writer {
    /// A pydantic model at `depth`, as the JSON of its `model_dump()` (see the module doc).
    pub(super) fn model(&mut self, obj: &Bound<'_, PyAny>, kind: Model, depth: usize) {
        if let Some(allowed) = &self.allowed {
            // pydantic writes a model in a field by the class the field's type names: an
            // instance of another class (a subclass, say) loses fields. The enclosing model
            // goes to pydantic.
            if !allowed.contains(&(obj.get_type().as_ptr() as usize)) {
                self.abort.get_or_insert(self.models);
                return;
            }
        }
        let own = match kind {
            Model::Plain(plain) => {
                let start = self.out.len();
                match self.walk(obj, &plain, depth) {
                    Walk::Done => return,
                    Walk::Up => {
                        self.out.truncate(start);
                        return;
                    }
                    Walk::Dump => {
                        self.out.truncate(start);
                        true
                    }
                }
            }
            Model::Dump { own } => own,
        };
        // The dump holds no models: no field constraint applies inside it.
        let allowed = self.allowed.take();
        match dump(obj, own) {
            Some(dumped) => self.container(obj, depth, |w| w.value(&dumped, depth + 1)),
            None => self.display(obj),
        }
        self.allowed = allowed;
    }

    /// Writes `obj` field by field as `container(obj)` around the dict of its dump would: the
    /// same depth and cycle markers at the same places.
    fn walk(&mut self, obj: &Bound<'_, PyAny>, plain: &Plain, depth: usize) -> Walk {
        if depth >= MAX_DEPTH {
            push_str(&mut self.out, &depth_marker());
            return Walk::Done;
        }
        let id = obj.as_ptr() as usize;
        if self.path.contains(&id) {
            // pydantic raises on a cycle: the outermost model being walked goes to it.
            if self.models > 0 {
                self.abort.get_or_insert(1);
                return Walk::Up;
            }
            return Walk::Dump;
        }
        if depth + 1 >= MAX_DEPTH {
            push_str(&mut self.out, &depth_marker());
            return Walk::Done;
        }
        let py = obj.py();
        let Some(dict) = obj
            .getattr(intern!(py, "__dict__"))
            .ok()
            .and_then(|d| d.cast_into_exact::<PyDict>().ok())
        else {
            return Walk::Dump;
        };
        let extra = obj
            .getattr(intern!(py, "__pydantic_extra__"))
            .ok()
            .and_then(|d| d.cast_into::<PyDict>().ok());
        let fields = dict_items(&dict);
        let extras = extra.as_ref().map(dict_items).unwrap_or_default();
        if fields.len() < plain.fields.len() || plain.fields.len() + extras.len() > MAX_ITEMS {
            return Walk::Dump;
        }
        self.path.push(id);
        self.models += 1;
        let allowed = self.allowed.take();
        let ok = self.fields(&fields, &extras, plain, depth + 2);
        self.allowed = allowed;
        self.models -= 1;
        self.path.pop();
        match self.abort {
            Some(level) if level > self.models => {
                self.abort = None;
                Walk::Dump
            }
            Some(_) => Walk::Up,
            None if ok && dict.len() == fields.len() => Walk::Done,
            None => Walk::Dump,
        }
    }

    /// The `{...}` of a model's fields then extras; false if `__dict__` does not hold the
    /// class's fields in their order.
    fn fields(
        &mut self,
        fields: &[(Bound<'_, PyAny>, Bound<'_, PyAny>)],
        extras: &[(Bound<'_, PyAny>, Bound<'_, PyAny>)],
        plain: &Plain,
        depth: usize,
    ) -> bool {
        self.out.push('{');
        let mut next = 0;
        for (k, v) in fields {
            // pydantic writes the fields in `__dict__` order and skips what is not a field
            // (an attribute a client library keeps there, such as `_request_id`).
            let Some((name, allowed)) = plain.fields.get(next) else {
                if is_field(k, plain) {
                    return false;
                }
                continue;
            };
            let name = name.bind(k.py());
            if !(k.is(name) || k.eq(name).unwrap_or(false)) {
                if is_field(k, plain) {
                    return false; // fields in another order: pydantic's own order then
                }
                continue;
            }
            if next > 0 {
                self.out.push_str(", ");
            }
            next += 1;
            self.key(k);
            self.out.push_str(": ");
            self.allowed = allowed.clone();
            self.value(v, depth);
            if self.abort.is_some() {
                return false;
            }
        }
        if next < plain.fields.len() {
            return false; // a field missing from `__dict__`
        }
        self.allowed = None;
        for (i, (k, v)) in extras.iter().enumerate() {
            if i > 0 || !plain.fields.is_empty() {
                self.out.push_str(", ");
            }
            self.key(k);
            self.out.push_str(": ");
            self.value(v, depth);
            if self.abort.is_some() {
                return false;
            }
        }
        self.out.push('}');
        true
    }

    /// A cycle found inside a model being walked: pydantic raises on it, so the outermost
    /// model goes to pydantic. Returns whether that is the case (nothing to write then).
    pub(super) fn cycle_in_model(&mut self) -> bool {
        if self.models > 0 {
            self.abort.get_or_insert(1);
            return true;
        }
        false
    }
}
