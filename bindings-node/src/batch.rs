//! `leafBatch(count, sites, times, texts) -> number`: the facade's batch of ended root leaves
//! (see `ts/leaves.ts`) in one raw Node-API call. Per leaf it saves the call itself,
//! its argument conversions and two clock reads (one reading per batch maps the monotonic
//! times to wall-clock time).
//!
//! - `sites`: `Uint32Array`, the site of leaf `i` at `i`;
//! - `times`: `BigUint64Array`, `process.hrtime.bigint()` at its start (`2i`) and end (`2i+1`);
//! - `texts`: the inputs and outputs JSON of every leaf in order, each followed by a NUL
//!   character (JSON text never holds a raw NUL: JSON.stringify escapes control characters),
//!   so the batch's text crosses as one string.
//!
//! Everything is read and checked before the first leaf is recorded: the call records all of
//! them or, throwing, none (the facade then records them one by one).

use std::cell::RefCell;
use std::ptr;

use napi::bindgen_prelude::{FromNapiValue, ToNapiValue};
use napi::{sys, Error, Result};

use crate::leaf::{record_ended, Ended};
use crate::raw::args;

/// A text buffer grown past this by a batch of large values is not kept for the next one.
const KEEP_BYTES: usize = 1 << 20;

thread_local! {
    static TEXT: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

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

/// Reads the JS string `v` into `buf` as UTF-8.
unsafe fn read_text(env: sys::napi_env, v: sys::napi_value, buf: &mut Vec<u8>) -> Result<()> {
    let mut len = 0usize;
    // SAFETY: with a null buffer Node only reports the length in bytes.
    let status = unsafe { sys::napi_get_value_string_utf8(env, v, ptr::null_mut(), 0, &mut len) };
    if status != sys::Status::napi_ok {
        return Err(fail("texts must be a string"));
    }
    buf.clear();
    buf.reserve(len + 1);
    let mut written = 0usize;
    // SAFETY: `buf` has room for `len` bytes plus the NUL Node writes.
    let status = unsafe {
        sys::napi_get_value_string_utf8(env, v, buf.as_mut_ptr().cast(), len + 1, &mut written)
    };
    if status != sys::Status::napi_ok || written != len {
        return Err(fail("cannot read texts"));
    }
    // SAFETY: Node initialised `written` bytes.
    unsafe { buf.set_len(written) };
    Ok(())
}

pub(crate) unsafe fn leaf_batch(
    env: sys::napi_env,
    info: sys::napi_callback_info,
) -> Result<sys::napi_value> {
    let a = unsafe { args::<4>(env, info) }?;
    let count = unsafe { u32::from_napi_value(env, a[0]) }? as usize;
    let sites: &[u32] = unsafe { typed(env, a[1], sys::TypedarrayType::uint32_array, count) }?;
    let times: &[u64] =
        unsafe { typed(env, a[2], sys::TypedarrayType::biguint64_array, 2 * count) }?;
    let first = TEXT.with_borrow_mut(|buf| -> Result<u32> {
        unsafe { read_text(env, a[3], buf) }?;
        if buf.iter().filter(|&&b| b == 0).count() != 2 * count || buf.last() != Some(&0) {
            return Err(fail("texts do not match the count"));
        }
        // SAFETY: Node writes valid UTF-8 (the facade's JSON text has no lone surrogate), and
        // the pieces are cut at NUL bytes, which are never inside a multi-byte character.
        let mut pieces = buf
            .split(|&b| b == 0)
            .map(|b| unsafe { std::str::from_utf8_unchecked(b) });
        let leaves = sites.iter().enumerate().map(|(i, &site)| Ended {
            site,
            start_mono: times[2 * i],
            end_mono: times[2 * i + 1],
            inputs: pieces.next().unwrap_or("null"),
            outputs: pieces.next().unwrap_or("null"),
        });
        Ok(record_ended(leaves))
    });
    TEXT.with_borrow_mut(|buf| {
        if buf.capacity() > KEEP_BYTES {
            *buf = Vec::new();
        }
    });
    unsafe { u32::to_napi_value(env, first?) }
}
