//! The one hot entry point called on every traced call, [`leaf_end`](crate::leaf::leaf_end),
//! as a raw Node-API callback. napi-rs wraps each `#[napi]` function in per-call bookkeeping
//! (callback info, a borrow scope registered and released, a type check per optional argument):
//! ~1,500 instructions measured under callgrind, a fifth of a traced call. Here the arguments
//! are read directly; everything else still goes through napi-rs.

use std::ffi::c_void;
use std::ptr;

use napi::bindgen_prelude::{FromNapiValue, ToNapiValue, TypeName};
use napi::{sys, Result, ValueType};
use napi_derive::napi;

use crate::handle::Span;
use crate::leaf::{end_leaf, MonoNs};

/// Strings up to this many UTF-8 bytes are read in one pass (longer ones are measured first).
const SHORT: usize = 512;

/// A JS string as a Rust `String`, `None` for anything else (`null`).
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
        return Some(unsafe { std::str::from_utf8_unchecked(bytes) }.to_owned());
    }
    // Possibly cut: measure, then copy.
    unsafe { String::from_napi_value(env, v) }.ok()
}

fn is_nullish(env: sys::napi_env, v: sys::napi_value) -> bool {
    let mut t = 0;
    // SAFETY: plain query on a value of the current call.
    let status = unsafe { sys::napi_typeof(env, v, &mut t) };
    status != sys::Status::napi_ok
        || t == sys::ValueType::napi_null
        || t == sys::ValueType::napi_undefined
}

unsafe fn call(env: sys::napi_env, info: sys::napi_callback_info) -> Result<u32> {
    let mut argc = 5usize;
    let mut argv = [ptr::null_mut(); 5];
    // SAFETY: `argv` holds `argc` slots; missing arguments come back as `undefined`.
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
        return Err(napi::Error::from_reason(
            "leafEnd: cannot read its arguments",
        ));
    }
    let site = unsafe { u32::from_napi_value(env, argv[0]) }?;
    let parent = if is_nullish(env, argv[1]) {
        None
    } else {
        Some(unsafe { Span::from_napi_value(env, argv[1]) }?)
    };
    let start = unsafe { MonoNs::from_napi_value(env, argv[2]) }?;
    let inputs = unsafe { string(env, argv[3]) };
    let outputs = unsafe { string(env, argv[4]) };
    end_leaf(site, parent, start, inputs, outputs)
}

unsafe extern "C" fn leaf_end_cb(
    env: sys::napi_env,
    info: sys::napi_callback_info,
) -> sys::napi_value {
    let result = std::panic::catch_unwind(|| unsafe { call(env, info) })
        .unwrap_or_else(|_| Err(napi::Error::from_reason("leafEnd panicked")));
    match result {
        Ok(seq) => unsafe { u32::to_napi_value(env, seq) }.unwrap_or(ptr::null_mut()),
        Err(e) => {
            let msg = std::ffi::CString::new(e.reason.replace('\0', " ")).unwrap_or_default();
            // SAFETY: a pending exception is how a callback reports failure; the facade catches it.
            unsafe { sys::napi_throw_error(env, ptr::null(), msg.as_ptr()) };
            ptr::null_mut()
        }
    }
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

/// `leafEnd(site, parent, startMono, inputsJson, outputsJson) -> number` as a raw callback:
/// the facade fetches it once and calls it on every traced call.
#[napi(
    catch_unwind,
    ts_return_type = "(site: number, parent: SpanHandle | null, startMono: bigint, inputsJson: string | null, outputsJson: string | null) => number"
)]
pub fn leaf_end_function(env: napi::Env) -> Result<RawFunction> {
    let mut out = ptr::null_mut();
    let name = "leafEnd";
    // SAFETY: `name` outlives the call; the callback takes no data.
    let status = unsafe {
        sys::napi_create_function(
            env.raw(),
            name.as_ptr().cast(),
            name.len() as isize,
            Some(leaf_end_cb),
            ptr::null_mut::<c_void>(),
            &mut out,
        )
    };
    if status != sys::Status::napi_ok {
        return Err(napi::Error::from_reason("cannot create leafEnd"));
    }
    Ok(RawFunction(out))
}
