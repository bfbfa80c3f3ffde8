//! The JS handle of a span: a type-tagged Node-API external owning the span's state, or the
//! number of a slot holding it (`slots.rs`: the spans of traced calls, while they run).
//!
//! Why not a `#[napi]` class or napi-rs `External`: napi-rs 3.16 registers every `&T` argument
//! and `this` in a process-wide borrow map (a mutex and hash-map insert/remove per call) and
//! every `External` in a payload registry. Measured on this machine that made a traced call
//! cost ~2.4 µs, most of it in that bookkeeping. A handle passed *by value* skips it; the type
//! tag (Node-API 8) proves the external is ours before its pointer is used.

use std::ffi::c_void;
use std::ptr;
use std::sync::Arc;

use ferrotrace_core::model::SpanRecord;
use ferrotrace_core::{LiveSpan, SpanContext};
use napi::bindgen_prelude::{FromNapiValue, ToNapiValue, TypeName, ValidateNapiValue};
use napi::{sys, Error, Result, Status, ValueType};

/// Random tag identifying ferrotrace span handles.
const TAG: sys::napi_type_tag = sys::napi_type_tag {
    lower: 0x7c1f_4a2e_93d0_5b68,
    upper: 0xf3e8_0d6b_2a91_c457,
};

/// What a handle owns. Exactly one of `live` / `ended` is set.
pub struct SpanState {
    /// Kept separately so children can start even after this span ended.
    pub ctx: SpanContext,
    pub live: Option<LiveSpan>,
    /// Kept after `end` so getters keep working.
    pub ended: Option<Arc<SpanRecord>>,
}

impl SpanState {
    pub fn new(live: LiveSpan) -> Self {
        SpanState {
            ctx: live.context().clone(),
            live: Some(live),
            ended: None,
        }
    }

    /// The record, open or ended (`None` cannot happen; `Option` keeps callers panic-free).
    pub fn record(&self) -> Option<&SpanRecord> {
        match (&self.live, &self.ended) {
            (Some(l), _) => Some(l.record()),
            (None, Some(r)) => Some(r),
            (None, None) => None,
        }
    }
}

/// A span handle received from JavaScript, borrowed for the duration of one call.
pub struct Span {
    state: &'static mut SpanState,
    /// The slot's number, for a number handle.
    slot: Option<u32>,
}

impl std::ops::Deref for Span {
    type Target = SpanState;
    fn deref(&self) -> &SpanState {
        self.state
    }
}

impl std::ops::DerefMut for Span {
    fn deref_mut(&mut self) -> &mut SpanState {
        self.state
    }
}

/// After its span ended: frees a number handle's slot and keeps the span in the recent ring,
/// returning its number there (`leafHandle` reads it). `None` for an external, which lives on.
pub(crate) fn release(span: Span) -> Option<u32> {
    // The borrow of the state ends here, before its slot gives the box up.
    let Span { slot, .. } = span;
    let state = crate::slots::remove(slot?)?;
    let SpanState { ctx, live, ended } = *state;
    // Ended, so `live` is empty (were it not, dropping it counts the span as not ended).
    drop(live);
    let bytes = ended.as_deref().map_or(0, crate::recent::record_bytes);
    Some(crate::recent::push_span(ctx, ended, bytes))
}

fn check(status: sys::napi_status, what: &str) -> Result<()> {
    if status == sys::Status::napi_ok {
        Ok(())
    } else {
        Err(Error::new(Status::from(status), what.to_owned()))
    }
}

impl FromNapiValue for Span {
    unsafe fn from_napi_value(env: sys::napi_env, value: sys::napi_value) -> Result<Self> {
        let mut id = 0u32;
        // SAFETY: `env` and `value` are the current callback's (the trait's contract); the read
        // writes only `id`, and anything but a number fails it without running JavaScript.
        if unsafe { sys::napi_get_value_uint32(env, value, &mut id) } == sys::Status::napi_ok {
            let state = crate::slots::get(id)
                .ok_or_else(|| Error::new(Status::InvalidArg, "span handle no longer valid"))?;
            return Ok(Span {
                // SAFETY: the slot's box stays put until `slots::remove`, which only `release`
                // calls, after consuming this `Span`. JS is single-threaded per env and no call
                // re-enters JS while holding this reference, so it is unique for its lifetime.
                state: unsafe { &mut *state },
                slot: Some(id),
            });
        }
        let mut tagged = false;
        check(
            // SAFETY: as above; `TAG` is a static, and the check writes only `tagged`.
            unsafe { sys::napi_check_object_type_tag(env, value, &TAG, &mut tagged) },
            "not a span handle",
        )?;
        if !tagged {
            return Err(Error::new(
                Status::InvalidArg,
                "not a ferrotrace span handle",
            ));
        }
        let mut data: *mut c_void = ptr::null_mut();
        check(
            // SAFETY: as above; `value` is an external (its tag says so), and only `data` is
            // written.
            unsafe { sys::napi_get_value_external(env, value, &mut data) },
            "not a span handle",
        )?;
        Ok(Span {
            // SAFETY: the tag is only ever put on externals made by `NewSpan::to_napi_value`,
            // whose data is a live `Box<SpanState>` until the finalizer runs, which cannot happen
            // while the value is an argument of the current call. JS is single-threaded per env
            // and no call re-enters JS while holding this reference, so it is unique for its
            // lifetime.
            state: unsafe { &mut *(data as *mut SpanState) },
            slot: None,
        })
    }
}

impl TypeName for Span {
    fn type_name() -> &'static str {
        "SpanHandle"
    }
    fn value_type() -> ValueType {
        ValueType::External
    }
}

impl ValidateNapiValue for Span {}

/// A new span handed to JavaScript; freed when the handle is garbage-collected.
pub struct NewSpan(pub SpanState);

/// The finalizer of a span handle's external.
///
/// # Safety
///
/// Called by Node only, once, with the `data` given to `napi_create_external` by
/// `NewSpan::to_napi_value`.
unsafe extern "C" fn finalize(_env: sys::napi_env, data: *mut c_void, _hint: *mut c_void) {
    // A panic must not unwind into Node; dropping a span state does not panic in practice.
    let _ = std::panic::catch_unwind(|| {
        // SAFETY: `data` is the `Box<SpanState>` leaked in `to_napi_value`, finalized once.
        drop(unsafe { Box::from_raw(data as *mut SpanState) });
    });
}

impl ToNapiValue for NewSpan {
    unsafe fn to_napi_value(env: sys::napi_env, val: Self) -> Result<sys::napi_value> {
        let data = Box::into_raw(Box::new(val.0));
        let mut out = ptr::null_mut();
        // SAFETY: `env` is the current callback's (the trait's contract); `data` is a live box
        // that Node keeps until it calls `finalize` with it, exactly once.
        let status = unsafe {
            sys::napi_create_external(env, data.cast(), Some(finalize), ptr::null_mut(), &mut out)
        };
        if status != sys::Status::napi_ok {
            // SAFETY: creating the external failed, so Node did not take `data`: it is still the
            // box made above, owned here and freed once.
            drop(unsafe { Box::from_raw(data) });
            return Err(Error::new(
                Status::from(status),
                "cannot create a span handle",
            ));
        }
        check(
            // SAFETY: `out` is the external just made in this callback's scope; `TAG` is a static.
            unsafe { sys::napi_type_tag_object(env, out, &TAG) },
            "cannot tag a span handle",
        )?;
        Ok(out)
    }
}

impl TypeName for NewSpan {
    fn type_name() -> &'static str {
        "SpanHandle"
    }
    fn value_type() -> ValueType {
        ValueType::External
    }
}
