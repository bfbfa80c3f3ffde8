//! The entry points called on every traced call as raw Node-API callbacks: `leafBatch`
//! (`batch.rs`, the main thread's ended leaves) or `leafEnd`
//! ([`leaf_end`](crate::leaf::leaf_end), one leaf), and for spans started natively `leafStart`
//! and `spanFinish`. napi-rs wraps each `#[napi]` function in per-call bookkeeping (callback info,
//! a borrow scope registered and released, a type check per optional argument): ~1,500
//! instructions measured under callgrind, a fifth of a traced call. Here the arguments are read
//! directly; everything else still goes through napi-rs.

use std::ffi::c_void;
use std::ptr;

use napi::bindgen_prelude::{FromNapiValue, ToNapiValue, TypeName};
use napi::{sys, Result, ValueType};
use napi_derive::napi;

use crate::handle::NewSpan;
use crate::handle::Span;
use crate::leaf::{end_leaf, start_leaf, MonoNs};

/// Strings up to this many UTF-8 bytes are read in one pass (longer ones are measured first).
const SHORT: usize = 512;

/// A JS string as a Rust `String`, `None` for anything else (`null`).
///
/// # Safety
///
/// `env` is the environment of the Node-API callback running now, and `v` a value of that
/// callback's scope (an argument of it).
unsafe fn string(env: sys::napi_env, v: sys::napi_value) -> Option<String> {
    // Not zeroed: Node writes the bytes read below.
    let mut buf = [std::mem::MaybeUninit::<u8>::uninit(); SHORT];
    let mut len = 0usize;
    // SAFETY: `buf` is writable for SHORT bytes; Node writes at most SHORT - 1 plus a NUL.
    let status = unsafe {
        sys::napi_get_value_string_utf8(env, v, buf.as_mut_ptr().cast(), SHORT, &mut len)
    };
    if status != sys::Status::napi_ok {
        return None;
    }
    // Node stops before a character that does not fit whole (up to 4 bytes) and keeps one
    // byte for the NUL: shorter than that, the string is complete.
    if len < SHORT - 4 {
        // SAFETY: Node initialised `len` bytes, valid UTF-8 (it replaces lone surrogates).
        let bytes = unsafe { std::slice::from_raw_parts(buf.as_ptr().cast::<u8>(), len) };
        // SAFETY: Node writes UTF-8 and cuts only between characters (see above).
        return Some(unsafe { std::str::from_utf8_unchecked(bytes) }.to_owned());
    }
    // Possibly cut: measure, then copy.
    // SAFETY: the caller's contract: `v` is a value of the current callback in `env`.
    unsafe { String::from_napi_value(env, v) }.ok()
}

pub(crate) fn is_nullish(env: sys::napi_env, v: sys::napi_value) -> bool {
    let mut t = 0;
    // SAFETY: `napi_typeof` only reads `v`, whatever it is, and writes `t`; a stale `env` or
    // `v` makes it fail with a status (every caller passes those of the current callback).
    let status = unsafe { sys::napi_typeof(env, v, &mut t) };
    status != sys::Status::napi_ok
        || t == sys::ValueType::napi_null
        || t == sys::ValueType::napi_undefined
}

/// The call's first `N` arguments (`undefined` for missing ones).
///
/// # Safety
///
/// `env` and `info` are those Node passed to the callback running now.
pub(crate) unsafe fn args<const N: usize>(
    env: sys::napi_env,
    info: sys::napi_callback_info,
) -> Result<[sys::napi_value; N]> {
    let mut argc = N;
    let mut argv = [ptr::null_mut(); N];
    // SAFETY: `env` and `info` are the current callback's (the caller's contract); `argv` holds
    // `argc` slots and Node writes at most that many (missing arguments as `undefined`).
    let status = unsafe {
        sys::napi_get_cb_info(
            env,
            info,
            &mut argc,
            argv.as_mut_ptr(),
            ptr::null_mut(),
            ptr::null_mut(),
        )
    };
    if status != sys::Status::napi_ok {
        return Err(napi::Error::from_reason("cannot read the arguments"));
    }
    Ok(argv)
}

/// A parent argument: `None` for `null` or `undefined`.
///
/// # Safety
///
/// `env` is the current callback's environment and `v` a value of its scope. The returned
/// `Span` borrows the handle's state mutably: it must be dropped before the callback returns
/// and before any other `Span` of the same handle is made (see [`Span::from_napi_value`]).
pub(crate) unsafe fn parent(env: sys::napi_env, v: sys::napi_value) -> Result<Option<Span>> {
    if is_nullish(env, v) {
        Ok(None)
    } else {
        // SAFETY: forwarded from the caller: `v` is of the current callback, and the borrow the
        // `Span` holds ends as the caller's contract says.
        Ok(Some(unsafe { Span::from_napi_value(env, v) }?))
    }
}

/// `leafEnd(site, parent, startMono, inputsJson, outputsJson) -> number`.
///
/// # Safety
///
/// As every [`Body`]: `env` and `info` are those Node passed to the callback running now.
unsafe fn leaf_end(env: sys::napi_env, info: sys::napi_callback_info) -> Result<sys::napi_value> {
    // SAFETY: `env` and `info` are the running callback's (the `Body` contract), so each `a[i]`
    // is a value of its scope. The parent's `Span` (a mutable borrow of its handle's state) is
    // the only one made in this call and is dropped inside `end_leaf`, before the callback
    // returns to JavaScript.
    let (site, parent, start, inputs, outputs) = unsafe {
        let a = args::<5>(env, info)?;
        (
            u32::from_napi_value(env, a[0])?,
            parent(env, a[1])?,
            MonoNs::from_napi_value(env, a[2])?,
            string(env, a[3]),
            string(env, a[4]),
        )
    };
    let seq = end_leaf(site, parent, start, inputs, outputs)?;
    // SAFETY: `env` is the running callback's; making a number borrows nothing.
    unsafe { u32::to_napi_value(env, seq) }
}

/// `leafStart(site, parent, startMono, inputsJson) -> SpanHandle`.
///
/// # Safety
///
/// As every [`Body`]: `env` and `info` are those Node passed to the callback running now.
unsafe fn leaf_start(env: sys::napi_env, info: sys::napi_callback_info) -> Result<sys::napi_value> {
    // SAFETY: as in `leaf_end`: values of the running callback, and the parent's `Span` is the
    // only borrow of its state, dropped inside `start_leaf`.
    let (site, parent, start, inputs) = unsafe {
        let a = args::<4>(env, info)?;
        (
            u32::from_napi_value(env, a[0])?,
            parent(env, a[1])?,
            MonoNs::from_napi_value(env, a[2])?,
            string(env, a[3]),
        )
    };
    let span = start_leaf(site, parent, start, inputs)?;
    // A number handle while a slot is free (see `slots.rs`), else an external.
    match crate::slots::insert(span.0) {
        // SAFETY: `env` is the running callback's; making a number borrows nothing.
        Ok(id) => unsafe { u32::to_napi_value(env, id) },
        // SAFETY: `env` is the running callback's; the external takes ownership of the state.
        Err(state) => unsafe { NewSpan::to_napi_value(env, NewSpan(state)) },
    }
}

/// `spanFinish(span, outputsJson) -> number` (see [`crate::span::finish`]).
///
/// # Safety
///
/// As every [`Body`]: `env` and `info` are those Node passed to the callback running now.
unsafe fn span_finish(
    env: sys::napi_env,
    info: sys::napi_callback_info,
) -> Result<sys::napi_value> {
    // SAFETY: values of the running callback (the `Body` contract); `span` is the only borrow
    // of its handle's state made in this call, and `finish` consumes it.
    let (span, outputs) = unsafe {
        let a = args::<2>(env, info)?;
        (Span::from_napi_value(env, a[0])?, string(env, a[1]))
    };
    let result = crate::span::finish(span, outputs, None);
    // SAFETY: `env` is the running callback's; making a number borrows nothing.
    unsafe { i64::to_napi_value(env, result) }
}

/// The body of a raw entry point. Its contract (it is an `unsafe fn`): called only with the
/// `env` and `info` Node passed to the callback running now, which is what [`guard`] does.
type Body = unsafe fn(sys::napi_env, sys::napi_callback_info) -> Result<sys::napi_value>;

/// Runs `body`; a failure (or panic) becomes a pending JS exception, never an abort.
///
/// # Safety
///
/// `env` and `info` are those Node passed to the callback running now.
unsafe fn guard(env: sys::napi_env, info: sys::napi_callback_info, body: Body) -> sys::napi_value {
    // SAFETY: `body` gets the running callback's `env` and `info` (this function's contract).
    let result = std::panic::catch_unwind(|| unsafe { body(env, info) })
        .unwrap_or_else(|_| Err(napi::Error::from_reason("panicked")));
    match result {
        Ok(v) => v,
        Err(e) => {
            let msg = std::ffi::CString::new(e.reason.replace('\0', " ")).unwrap_or_default();
            // SAFETY: `msg` outlives the call (Node copies it) and `env` is the running
            // callback's; a pending exception is how a callback reports failure, and the facade
            // catches it.
            unsafe { sys::napi_throw_error(env, ptr::null(), msg.as_ptr()) };
            ptr::null_mut()
        }
    }
}

// The callbacks given to `napi_create_function` below. Node calls them with the `env` and
// `info` of the call, which is `guard`'s contract.

/// # Safety
///
/// A Node-API callback: called by Node only.
unsafe extern "C" fn leaf_end_cb(
    env: sys::napi_env,
    info: sys::napi_callback_info,
) -> sys::napi_value {
    // SAFETY: Node's own `env` and `info` for this call.
    unsafe { guard(env, info, leaf_end) }
}

/// # Safety
///
/// A Node-API callback: called by Node only.
unsafe extern "C" fn leaf_batch_cb(
    env: sys::napi_env,
    info: sys::napi_callback_info,
) -> sys::napi_value {
    // SAFETY: Node's own `env` and `info` for this call.
    unsafe { guard(env, info, crate::batch::leaf_batch) }
}

/// # Safety
///
/// A Node-API callback: called by Node only.
unsafe extern "C" fn leaf_start_cb(
    env: sys::napi_env,
    info: sys::napi_callback_info,
) -> sys::napi_value {
    // SAFETY: Node's own `env` and `info` for this call.
    unsafe { guard(env, info, leaf_start) }
}

/// # Safety
///
/// A Node-API callback: called by Node only.
unsafe extern "C" fn span_finish_cb(
    env: sys::napi_env,
    info: sys::napi_callback_info,
) -> sys::napi_value {
    // SAFETY: Node's own `env` and `info` for this call.
    unsafe { guard(env, info, span_finish) }
}

/// A JS function value made here.
pub struct RawFunction(sys::napi_value);

impl ToNapiValue for RawFunction {
    unsafe fn to_napi_value(_env: sys::napi_env, val: Self) -> Result<sys::napi_value> {
        Ok(val.0)
    }
}

impl TypeName for RawFunction {
    fn type_name() -> &'static str {
        "Function"
    }
    fn value_type() -> ValueType {
        ValueType::Function
    }
}

/// One of the raw entry points (`"leafBatch"`, `"leafEnd"`, `"leafStart"`, `"spanFinish"`), with
/// the same arguments and result as the `#[napi]` function of that name (`leafBatch` has none):
/// the facade fetches each once.
#[napi(catch_unwind, ts_return_type = "Function")]
pub fn raw_function(env: napi::Env, name: String) -> Result<RawFunction> {
    let cb: unsafe extern "C" fn(sys::napi_env, sys::napi_callback_info) -> sys::napi_value =
        match name.as_str() {
            "leafBatch" => leaf_batch_cb,
            "leafEnd" => leaf_end_cb,
            "leafStart" => leaf_start_cb,
            "spanFinish" => span_finish_cb,
            _ => return Err(napi::Error::from_reason(format!("no raw function {name}"))),
        };
    let mut out = ptr::null_mut();
    // SAFETY: `env` is this `#[napi]` call's; Node copies the `name.len()` bytes of `name`, which
    // outlives the call; `cb` is a Node-API callback that takes no data.
    let status = unsafe {
        sys::napi_create_function(
            env.raw(),
            name.as_ptr().cast(),
            name.len() as isize,
            Some(cb),
            ptr::null_mut::<c_void>(),
            &mut out,
        )
    };
    if status != sys::Status::napi_ok {
        return Err(napi::Error::from_reason(format!("cannot create {name}")));
    }
    Ok(RawFunction(out))
}
