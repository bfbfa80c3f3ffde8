//! The local store: append-only, checksummed segments of MLflow trace records, and the reading
//! and rendering behind the `ferrotrace traces` CLI.

mod reader;
mod render;
mod segment;

pub use reader::{read_store, StoreRead};
pub use render::{render_list, render_tree};
pub use segment::{decode_records, encode_record, Damage, SegmentWriter, SEGMENT_EXT};
