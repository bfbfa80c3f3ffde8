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
use crate::raw::{args, is_nullish};

fn fail(what: &str) -> Error {
    Error::from_reason(format!("leafBatch: {what}"))
}

/// The first `len` items of a typed array of type `want`.
///
/// # Safety
///
/// `env` is the running callback's and `v` a value of its scope; `T` is the element type of
/// `want` (`u32` for `uint32_array`, `u64` for `biguint64_array`). The slice lives while the
/// array does: it must not outlive the callback, nor be held across anything that runs
/// JavaScript (which could detach or shrink the array's buffer).
unsafe fn typed<'a, T>(
    env: sys::napi_env,
    v: sys::napi_value,
    want: sys::napi_typedarray_type,
    len: usize,
) -> Result<&'a [T]> {
    let (mut kind, mut n, mut data) = (0, 0usize, ptr::null_mut());
    // SAFETY: `env` and `v` are the current callback's (the caller's contract); the query only
    // writes the three out-pointers given, all to locals, and accepts any value (failing on a
    // non-typed array).
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
    // SAFETY: the array is a `want` array, so `data` points at `n >= len` initialised elements
    // of type `T` (the caller's contract ties `T` to `want`), aligned as V8 aligns a typed
    // array's elements. V8 keeps the backing store alive and unmoved while the array is an
    // argument of the running callback, and no JavaScript runs while the slice is used (the
    // caller's contract), so nothing detaches or writes it.
    Ok(unsafe { std::slice::from_raw_parts(data.cast::<T>(), len) })
}

/// The context of leaf `i`'s parent in `parents`: `None` for a root.
///
/// # Safety
///
/// `env` is the running callback's and `parents`, when given, a value of its scope.
unsafe fn parent_of(
    env: sys::napi_env,
    parents: Option<sys::napi_value>,
    i: usize,
) -> Result<Option<ferrotrace_core::SpanContext>> {
    let Some(parents) = parents else {
        return Ok(None);
    };
    let mut v = ptr::null_mut();
    // SAFETY: `env` and `parents` are of the running callback (the caller's contract); reading
    // an element writes only `v`, and runs no JavaScript on the plain array (no accessors, no
    // proxy) that the contract of `leaf_batch` asks for.
    if unsafe { sys::napi_get_element(env, parents, i as u32, &mut v) } != sys::Status::napi_ok {
        return Err(fail("cannot read parents"));
    }
    // The handle is read and let go at once: siblings share a parent, and no two borrows of
    // its state may live together.
    // SAFETY: `v` was just read in the running callback's scope; the `Span` borrow ends in this
    // statement, and no other `Span` of that handle is alive meanwhile.
    Ok(unsafe { crate::raw::parent(env, v) }?.map(|p| p.ctx.clone()))
}

/// The body of the raw `leafBatch` (see [`crate::raw`]).
///
/// # Safety
///
/// `env` and `info` are those Node passed to the callback running now. The arguments are the
/// facade's own (`ts/leaves.ts`, the only caller; the raw function is not part of the package's
/// API): typed arrays on buffers that no other thread writes, and `parents` a plain array
/// without accessors, so that reading it runs no JavaScript while `sites` and `times` borrow
/// the typed arrays' memory.
pub(crate) unsafe fn leaf_batch(
    env: sys::napi_env,
    info: sys::napi_callback_info,
) -> Result<sys::napi_value> {
    // SAFETY: `env` and `info` are the running callback's (this function's contract).
    let a = unsafe { args::<5>(env, info) }?;
    // SAFETY: each `a[i]` is a value of the running callback's scope; `u32` is the element type
    // of a `uint32_array`, `u64` of a `biguint64_array`; the slices are used only inside this
    // call, and nothing that runs while they are held (string and handle reads, `parent_of` on
    // the plain `parents` array, recording in the core) runs JavaScript.
    let (sites, times, text) = unsafe {
        let count = u32::from_napi_value(env, a[0])? as usize;
        let sites: &[u32] = typed(env, a[1], sys::TypedarrayType::uint32_array, count)?;
        let times: &[u64] = typed(env, a[2], sys::TypedarrayType::biguint64_array, 2 * count)?;
        let text =
            String::from_napi_value(env, a[3]).map_err(|_| fail("texts must be a string"))?;
        (sites, times, text)
    };
    // Optional: without it every leaf is a root.
    let parents = (!is_nullish(env, a[4])).then_some(a[4]);
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
    let mut leaves = Vec::with_capacity(sites.len());
    for (i, &site) in sites.iter().enumerate() {
        let (Some(inputs), Some(outputs)) = (piece(), piece()) else {
            return Err(fail("texts do not match the count"));
        };
        leaves.push(Ended {
            // SAFETY: `parents` is the running callback's plain array (this function's contract).
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
    // SAFETY: `env` is the running callback's; making a number borrows nothing.
    unsafe { u32::to_napi_value(env, first) }
}
