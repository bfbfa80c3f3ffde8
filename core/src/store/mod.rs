//! The local store: append-only, checksummed segments of MLflow trace records, and the reading
//! and rendering behind the `ferrotrace traces` CLI.

pub mod compact;
pub mod fold;
pub mod index;
pub mod local;
pub mod mutation;
mod reader;
mod render;
pub mod search;
mod segment;

pub use fold::read_folded;
pub use reader::{read_store, StoreRead};
pub use render::{render_list, render_tree};
pub use segment::{decode_records, encode_record, Damage, SegmentWriter, SEGMENT_EXT};
