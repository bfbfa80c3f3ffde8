//! One-crossing spans for `trace`: a traced call that nothing else looks at (no child starts
//! under it, nobody reads its ids) is started *and* ended by a single call here when it returns,
//! with the start time the facade read from the monotonic clock. A span that something does
//! look at is materialised earlier by [`leaf_start`] and then ends like any other span.
//!
//! A traced function's static data (name, span type) is registered once as a *site*, so a call
//! passes a small integer instead of two strings. The last leaves ended on this thread stay
//! reachable for a while ([`leaf_handle`], `recent.rs`) for the rare callback that runs after its
//! traced call returned and still reads that span or starts a child under it.
//!
//! On the main thread the facade does not call [`leaf_end`] per root leaf (a one-span trace) or
//! per child leaf that follows a sibling: it keeps them (parent handle, monotonic start and end,
//! JSON texts) and hands them over in batches
//! ([`record_ended`], through `batch.rs`), one native call for up to 64 of them, which the core
//! records as one batch ([`Tracer::record_leaves`](ferrotrace_core::Tracer::record_leaves)).

use std::cell::RefCell;
use std::ops::Range;

use ferrotrace_core::global;
use ferrotrace_core::model::keys::attr;
use ferrotrace_core::model::{RawJson, SpanName};
use ferrotrace_core::runtime::{wall_ns_at, ClockPair};
use ferrotrace_core::tracer::{LeafSpec, RootOptions};
use ferrotrace_core::{LiveSpan, SpanContext};
use napi::bindgen_prelude::{FromNapiValue, TypeName, ValidateNapiValue};
use napi::{sys, Error, Result, Status, ValueType};
use napi_derive::napi;

use crate::handle::{NewSpan, Span, SpanState};
use crate::recent;

struct Site {
    /// Shared (`Arc<str>`) like the type: cloning either per span does not allocate.
    name: SpanName,
    span_type: RawJson,
}

thread_local! {
    // Per thread = per JS environment (main thread, each worker): a site id or a leaf number
    // from one environment is never read in another.
    static SITES: RefCell<Vec<Site>> = const { RefCell::new(Vec::new()) };
}

/// A `process.hrtime.bigint()` reading (monotonic nanoseconds), read without the allocation
/// napi-rs's `BigInt` makes.
pub struct MonoNs(u64);

impl FromNapiValue for MonoNs {
    unsafe fn from_napi_value(env: sys::napi_env, value: sys::napi_value) -> Result<Self> {
        let mut v = 0u64;
        let mut lossless = false;
        // SAFETY: `env` and `value` are the current callback's (the trait's contract); the read
        // writes only the two locals, and fails on anything but a bigint.
        let status =
            unsafe { sys::napi_get_value_bigint_uint64(env, value, &mut v, &mut lossless) };
        if status != sys::Status::napi_ok {
            return Err(Error::new(Status::InvalidArg, "expected a bigint"));
        }
        Ok(MonoNs(v))
    }
}

impl TypeName for MonoNs {
    fn type_name() -> &'static str {
        "bigint"
    }
    fn value_type() -> ValueType {
        ValueType::BigInt
    }
}

impl ValidateNapiValue for MonoNs {}

/// Registers a traced function's name and span type (`None`: MLflow's default, UNKNOWN);
/// returns the site id later calls pass.
#[napi(catch_unwind)]
pub fn register_site(name: String, span_type: Option<String>) -> u32 {
    let span_type = match span_type {
        Some(t) => RawJson::string(&t).into_shared(),
        None => RawJson::from_static("\"UNKNOWN\""),
    };
    let name = SpanName::from(std::sync::Arc::<str>::from(name));
    SITES.with_borrow_mut(|sites| {
        sites.push(Site { name, span_type });
        (sites.len() - 1) as u32
    })
}

/// Starts a span of `site` at wall-clock `start_ns`: a child of `parent`, else a root.
fn start(
    site: u32,
    parent: Option<&Span>,
    start_ns: u64,
    inputs: Option<String>,
) -> Result<LiveSpan> {
    let (name, span_type) = SITES.with_borrow(|sites| {
        let site = sites
            .get(site as usize)
            .ok_or_else(|| Error::new(Status::InvalidArg, "unknown trace site"))?;
        Ok::<_, Error>((site.name.clone(), site.span_type.clone()))
    })?;
    let mut live = match parent {
        Some(p) => global().start_child(name, &p.ctx, Some(start_ns)),
        None => global().start_root(
            name,
            RootOptions {
                start_ns: Some(start_ns),
                ..RootOptions::default()
            },
        ),
    };
    live.set_attribute(attr::SPAN_TYPE, span_type);
    if let Some(i) = inputs {
        live.set_attribute(attr::INPUTS, RawJson::compact(i));
    }
    Ok(live)
}

/// A leaf the facade ended and kept for a batch: its parent's context (`None` for a root),
/// times from `process.hrtime.bigint()`, inputs and outputs as ranges of the batch's text.
pub(crate) struct Ended {
    pub parent: Option<SpanContext>,
    pub site: u32,
    pub start_mono: u64,
    pub end_mono: u64,
    pub inputs: Range<usize>,
    pub outputs: Range<usize>,
}

/// Records a batch of ended leaves in order and keeps each for [`leaf_handle`]; returns the
/// first one's number, the others following one by one. Records all or, for a leaf of an
/// unknown site or a range outside `text` (which the facade never passes), none.
pub(crate) fn record_ended(text: String, leaves: &[Ended]) -> Result<u32> {
    // One reading of both clocks for the batch (it ended within a few milliseconds).
    let now = ClockPair::now();
    let batch = SITES.with_borrow(|sites| {
        if leaves.iter().any(|l| l.site as usize >= sites.len()) {
            return None;
        }
        let specs = leaves.iter().map(|l| {
            let site = &sites[l.site as usize];
            LeafSpec {
                parent: l.parent.as_ref(),
                name: &site.name,
                span_type: &site.span_type,
                start_ns: now.wall_of(l.start_mono),
                end_ns: now.wall_of(l.end_mono),
                inputs: l.inputs.clone(),
                outputs: l.outputs.clone(),
            }
        });
        global().record_leaves(text, specs)
    });
    let batch = batch.ok_or_else(|| Error::new(Status::InvalidArg, "unknown site or range"))?;
    // The ring holds a batch (to read its spans) only while that costs at most what holding
    // each leaf's own record would.
    let held = batch.text_len() <= recent::RECORD_BYTES * batch.len();
    Ok(recent::push_batch(&batch, held))
}

/// Whether the facade may keep ended leaves for a batch: not with a trace timeout, which
/// must find every span that ended before it fired, nor in synchronous export mode, where a
/// traced call returns once its trace is delivered.
#[napi(catch_unwind)]
pub fn leaf_buffering() -> bool {
    let config = global().config();
    config.trace_timeout.is_none() && config.delivery.async_logging
}

fn len(s: &Option<String>) -> usize {
    s.as_ref().map_or(0, String::len)
}

/// A traced call that returned `outputs_json` (`None`: outputs were set in the body, or none):
/// starts the span at the monotonic reading `start_mono`, sets inputs and outputs, ends it
/// now. Returns the leaf's number for [`leaf_handle`]. (The main thread's facade batches its
/// leaves instead: [`record_ended`].)
#[napi(catch_unwind)]
pub fn leaf_end(
    site: u32,
    parent: Option<Span>,
    start_mono: MonoNs,
    inputs_json: Option<String>,
    outputs_json: Option<String>,
) -> Result<u32> {
    end_leaf(site, parent, start_mono, inputs_json, outputs_json)
}

/// [`leaf_end`]'s body, shared with its raw entry point (`raw.rs`).
pub(crate) fn end_leaf(
    site: u32,
    parent: Option<Span>,
    start_mono: MonoNs,
    inputs_json: Option<String>,
    outputs_json: Option<String>,
) -> Result<u32> {
    let bytes = len(&inputs_json) + len(&outputs_json);
    start_and_end(site, parent, start_mono, inputs_json, bytes, |live| {
        if let Some(o) = outputs_json {
            live.set_attribute(attr::OUTPUTS, RawJson::compact(o));
        }
    })
}

/// A leaf's span started at `start_mono`, completed by `finish` and ended now; `bytes` is what
/// it holds, for [`recent::push_span`].
fn start_and_end(
    site: u32,
    parent: Option<Span>,
    start_mono: MonoNs,
    inputs_json: Option<String>,
    bytes: usize,
    finish: impl FnOnce(&mut LiveSpan),
) -> Result<u32> {
    let (start_ns, _) = wall_ns_at(start_mono.0);
    let mut live = start(site, parent.as_ref(), start_ns, inputs_json)?;
    finish(&mut live);
    let ctx = live.context().clone();
    let rec = live.end(None);
    Ok(recent::push_span(ctx, Some(rec), bytes))
}

/// A traced call that threw: as [`leaf_end`], with the exception recorded instead of outputs.
#[napi(catch_unwind)]
#[allow(clippy::too_many_arguments)]
pub fn leaf_fail(
    site: u32,
    parent: Option<Span>,
    start_mono: MonoNs,
    inputs_json: Option<String>,
    type_name: String,
    message: String,
    stack: String,
) -> Result<u32> {
    let bytes = len(&inputs_json) + message.len() + stack.len();
    start_and_end(site, parent, start_mono, inputs_json, bytes, |live| {
        live.record_exception(&type_name, &message, &stack);
    })
}

/// Materialises a traced call's span that is still running because something needs it (a
/// child starts under it, its ids are read, it is changed): started at `start_mono`. (A root
/// in a scope with a remote parent or trace data is never a leaf: it starts as usual.)
#[napi(catch_unwind, ts_return_type = "SpanHandle")]
pub fn leaf_start(
    site: u32,
    parent: Option<Span>,
    start_mono: MonoNs,
    inputs_json: Option<String>,
) -> Result<NewSpan> {
    start_leaf(site, parent, start_mono, inputs_json)
}

/// [`leaf_start`]'s body, shared with its raw entry point (`raw.rs`).
pub(crate) fn start_leaf(
    site: u32,
    parent: Option<Span>,
    start_mono: MonoNs,
    inputs_json: Option<String>,
) -> Result<NewSpan> {
    let (start_ns, _) = wall_ns_at(start_mono.0);
    let live = start(site, parent.as_ref(), start_ns, inputs_json)?;
    Ok(NewSpan(SpanState::new(live)))
}

/// A handle to the ended span numbered `seq` (a leaf, or a span whose number handle was
/// released), or `null` once it is no longer kept.
#[napi(catch_unwind, ts_return_type = "SpanHandle | null")]
pub fn leaf_handle(seq: u32) -> Option<NewSpan> {
    recent::handle(seq).map(NewSpan)
}

/// A span the facade could not start because its parent, an ended span, is no longer kept
/// (`leafHandle` returned `null` for it): counted as `parent_expired`.
#[napi(catch_unwind)]
pub fn note_parent_expired() {
    global().count_parent_expired();
}
