//! The first matches of a search in sort order, kept in a bounded heap.

use std::collections::BinaryHeap;

use super::eval;
use super::filter::OrderBy;

/// Where a record is: (segment number, offset, length).
pub(super) type Loc = (usize, u64, u64);

/// A trace found by search: how it sorts, and where its records are.
pub(super) struct Hit {
    pub key: Key,
    pub id: String,
    /// Each record, in read order.
    pub locs: Vec<Loc>,
}

#[derive(Clone, Debug, PartialEq, PartialOrd)]
enum SortVal {
    Num(f64),
    Str(String),
}

/// A sort key with each part's direction: `Less` sorts first.
#[derive(Debug)]
pub(super) struct Key(Vec<(SortVal, bool)>);

impl Ord for Key {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        for ((a, asc), (b, _)) in self.0.iter().zip(&other.0) {
            let ord = a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal);
            let ord = if *asc { ord } else { ord.reverse() };
            if ord.is_ne() {
                return ord;
            }
        }
        std::cmp::Ordering::Equal
    }
}
impl PartialOrd for Key {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl PartialEq for Key {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other).is_eq()
    }
}
impl Eq for Key {}

impl Ord for Hit {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.key.cmp(&other.key)
    }
}
impl PartialOrd for Hit {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl PartialEq for Hit {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}
impl Eq for Hit {}

/// The first `keep` hits by their keys, in a heap whose top is the last of them: what a
/// search holds however many traces match.
pub(super) struct Top {
    pub keep: usize,
    pub heap: BinaryHeap<Hit>,
    /// Every match, kept or not.
    pub total: usize,
}

impl Top {
    /// Whether a hit with this key would be kept (asked before building the hit).
    pub fn wants(&self, key: &Key) -> bool {
        self.heap.len() < self.keep || self.heap.peek().is_some_and(|worst| *key < worst.key)
    }

    /// Whether a trace sorts after every kept hit on the first order key alone (a number):
    /// most traces of a large search are, and their whole key need not be built.
    pub fn behind<S: eval::Stored>(&self, order: &[OrderBy], v: &eval::View<'_, S>) -> bool {
        if self.heap.len() < self.keep {
            return false;
        }
        let (Some(o), Some(worst)) = (order.first(), self.heap.peek()) else {
            return false;
        };
        let mine = match o.key.as_str() {
            "timestamp_ms" => v.s.t() as f64,
            "execution_time_ms" => v.s.d().unwrap_or(0) as f64,
            _ => return false,
        };
        let Some((SortVal::Num(w), _)) = worst.key.0.first() else {
            return false;
        };
        let ord = mine.partial_cmp(w).unwrap_or(std::cmp::Ordering::Equal);
        let ord = if o.ascending { ord } else { ord.reverse() };
        ord.is_gt()
    }

    pub fn push(&mut self, hit: Hit) {
        if self.heap.len() < self.keep {
            self.heap.push(hit);
        } else if self.wants(&hit.key) {
            self.heap.pop();
            self.heap.push(hit);
        }
    }
}

pub(super) fn sort_key<S: eval::Stored>(order: &[OrderBy], v: &eval::View<'_, S>) -> Key {
    Key(order
        .iter()
        .map(|o| {
            let val = match o.key.as_str() {
                "timestamp_ms" => SortVal::Num(v.s.t() as f64),
                "execution_time_ms" => SortVal::Num(v.s.d().unwrap_or(0) as f64),
                "status" => SortVal::Str(v.s.state().to_owned()),
                "name" => SortVal::Str(v.name().to_owned()),
                "request_id" => SortVal::Str(v.s.id().to_owned()),
                _ => SortVal::Str(String::new()),
            };
            (val, o.ascending)
        })
        .collect())
}
