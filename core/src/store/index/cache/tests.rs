use super::*;

fn entry(name: &str, bytes: usize) -> Entry {
    Entry {
        segment: PathBuf::from(name),
        stamp: Stamp {
            seg: (1, 1, None),
            idx: None,
        },
        bytes,
        idx: Arc::default(),
    }
}

fn names(c: &Cache) -> Vec<&str> {
    c.entries
        .iter()
        .map(|e| e.segment.to_str().unwrap())
        .collect()
}

#[test]
fn the_oldest_entries_go_first_and_the_bound_holds() {
    let mut c = Cache::default();
    c.insert(entry("a", 40), 100);
    c.insert(entry("b", 40), 100);
    assert_eq!((names(&c), c.bytes), (vec!["a", "b"], 80));
    c.insert(entry("c", 40), 100);
    assert_eq!((names(&c), c.bytes), (vec!["b", "c"], 80));
    // A segment read again replaces its entry.
    c.insert(entry("b", 10), 100);
    assert_eq!((names(&c), c.bytes), (vec!["c", "b"], 50));
    // Too large for the cache: not kept, and nothing else dropped for it.
    c.insert(entry("d", 101), 100);
    assert_eq!((names(&c), c.bytes), (vec!["c", "b"], 50));
}
