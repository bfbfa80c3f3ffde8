//! The local store: append-only, checksummed segments of MLflow trace records, and the reading
//! and rendering behind the `ferrotrace traces` CLI.

pub mod compact;
pub mod files;
pub mod fold;
pub mod index;
pub mod local;
pub mod mutation;
mod reader;
mod render;
mod rotate;
pub mod search;
mod segment;
mod stream;
mod views;

pub use fold::read_folded;
pub(crate) use reader::merge as merge_records;
pub use reader::{find_in_store, list_store, read_store, scan_records, scan_store, StoreRead};
pub use render::{render_list, render_tree};
pub(crate) use rotate::enforce as rotate_folder;
pub use rotate::Rotated;
pub use segment::{decode_records, encode_record, Damage, SegmentWriter, SEGMENT_EXT};
pub use stream::RecordStream;
pub use views::{list_text, show_text};
