//! `leafBatch(count, sites, times, texts, parents?) -> number`: the facade's batch of ended
//! leaves (see `ts/leaves.ts`) in one raw Node-API call. Per leaf it saves the call itself,
//! its argument conversions and two clock reads (one reading per batch maps the monotonic
//! times to wall-clock time).
//!
//! - `sites`: `Uint32Array`, the site of leaf `i` at `i`;
//! - `parents` (optional): an array holding leaf `i`'s parent span handle at `i`, or `null`
//!   for a root; without it every leaf is a root;
//! - `times`: `BigUint64Array`, `process.hrtime.bigint()` at its start (`2i`) and end (`2i+1`);
//! - `texts`: the inputs and outputs JSON of every leaf in order, each followed by a NUL
//!   character (JSON text never holds a raw NUL: JSON.stringify escapes control characters),
//!   so the batch's text crosses as one string.
//!
//! Everything is read and checked before the first leaf is recorded: the call records all of
//! them or, throwing, none (the facade then records them one by one).

use std::ptr;

use napi::bindgen_prelude::{FromNapiValue, ToNapiValue};
use napi::{sys, Error, Result};

use crate::leaf::{record_ended, Ended};
use crate::raw::args;

fn fail(what: &str) -> Error {
    Error::from_reason(format!("leafBatch: {what}"))
}

/// The first `len` items of a typed array of type `want`.
unsafe fn typed<'a, T>(
    env: sys::napi_env,
    v: sys::napi_value,
    want: sys::napi_typedarray_type,
    len: usize,
) -> Result<&'a [T]> {
    let (mut kind, mut n, mut data) = (0, 0usize, ptr::null_mut());
    // SAFETY: plain query; the out-pointers are valid.
    let status = unsafe {
        sys::napi_get_typedarray_info(
            env,
            v,
            &mut kind,
            &mut n,
            &mut data,
            ptr::null_mut(),
            ptr::null_mut(),
        )
    };
    if status != sys::Status::napi_ok || kind != want || n < len {
        return Err(fail("bad typed array"));
    }
    if len == 0 {
        return Ok(&[]);
    }
    // SAFETY: V8 keeps the array's (aligned) backing store alive and unmoved during the call,
    // and nothing runs JavaScript while the slice is used.
    Ok(unsafe { std::slice::from_raw_parts(data.cast::<T>(), len) })
}

/// The JS string `v` as UTF-8.
unsafe fn read_text(env: sys::napi_env, v: sys::napi_value) -> Result<String> {
    let mut len = 0usize;
    // SAFETY: with a null buffer Node only reports the length in bytes.
    let status = unsafe { sys::napi_get_value_string_utf8(env, v, ptr::null_mut(), 0, &mut len) };
    if status != sys::Status::napi_ok {
        return Err(fail("texts must be a string"));
    }
    let mut buf = Vec::<u8>::with_capacity(len + 1);
    let mut written = 0usize;
    // SAFETY: `buf` has room for `len` bytes plus the NUL Node writes.
    let status = unsafe {
        sys::napi_get_value_string_utf8(env, v, buf.as_mut_ptr().cast(), len + 1, &mut written)
    };
    if status != sys::Status::napi_ok || written != len {
        return Err(fail("cannot read texts"));
    }
    // SAFETY: Node initialised `written` bytes, as valid UTF-8 (it writes a lone surrogate as
    // U+FFFD).
    unsafe {
        buf.set_len(written);
        Ok(String::from_utf8_unchecked(buf))
    }
}

/// The optional `parents` argument: `None` when it is not an object (every leaf a root).
unsafe fn parents_arg(env: sys::napi_env, v: sys::napi_value) -> Option<sys::napi_value> {
    let mut t = 0;
    // SAFETY: plain query on a value of the current call.
    let status = unsafe { sys::napi_typeof(env, v, &mut t) };
    (status == sys::Status::napi_ok && t == sys::ValueType::napi_object).then_some(v)
}

/// The context of leaf `i`'s parent in `parents`: `None` for a root.
unsafe fn parent_of(
    env: sys::napi_env,
    parents: Option<sys::napi_value>,
    i: usize,
) -> Result<Option<ferrotrace_core::SpanContext>> {
    let Some(parents) = parents else {
        return Ok(None);
    };
    let mut v = ptr::null_mut();
    // SAFETY: reads an element of an array of the current call.
    if unsafe { sys::napi_get_element(env, parents, i as u32, &mut v) } != sys::Status::napi_ok {
        return Err(fail("cannot read parents"));
    }
    // The handle is read and let go at once: siblings share a parent, and no two borrows of
    // its state may live together.
    Ok(unsafe { crate::raw::parent(env, v) }?.map(|p| p.ctx.clone()))
}

pub(crate) unsafe fn leaf_batch(
    env: sys::napi_env,
    info: sys::napi_callback_info,
) -> Result<sys::napi_value> {
    let a = unsafe { args::<5>(env, info) }?;
    let count = unsafe { u32::from_napi_value(env, a[0]) }? as usize;
    let sites: &[u32] = unsafe { typed(env, a[1], sys::TypedarrayType::uint32_array, count) }?;
    let times: &[u64] =
        unsafe { typed(env, a[2], sys::TypedarrayType::biguint64_array, 2 * count) }?;
    let text = unsafe { read_text(env, a[3]) }?;
    let parents = unsafe { parents_arg(env, a[4]) };
    // The pieces end at NUL bytes, which are never inside a multi-byte character; the NULs
    // themselves are left out of every range.
    let mut nuls = text
        .bytes()
        .enumerate()
        .filter(|&(_, b)| b == 0)
        .map(|(i, _)| i);
    let mut at = 0;
    let mut piece = || {
        let end = nuls.next()?;
        let range = at..end;
        at = end + 1;
        Some(range)
    };
    let mut leaves = Vec::with_capacity(count);
    for (i, &site) in sites.iter().enumerate() {
        let (Some(inputs), Some(outputs)) = (piece(), piece()) else {
            return Err(fail("texts do not match the count"));
        };
        leaves.push(Ended {
            parent: unsafe { parent_of(env, parents, i) }?,
            site,
            start_mono: times[2 * i],
            end_mono: times[2 * i + 1],
            inputs,
            outputs,
        });
    }
    if piece().is_some() || at != text.len() {
        return Err(fail("texts do not match the count"));
    }
    let first = record_ended(text, &leaves)?;
    unsafe { u32::to_napi_value(env, first) }
}
