//! N iterations of one hot-path operation, for instruction counting (`bench/instructions.py`
//! runs it under callgrind at two N and divides the difference).
//!
//! `cargo run --release -p ferrotrace-core --example hot_loop -- CASE N`
//! CASE: `child` (start + end one child of an open root), `root` (a one-span trace, sealed and
//! handed to the queue), `floats` (50 floats written as JSON).

use ferrotrace_core::config::Config;
use ferrotrace_core::tracer::RootOptions;
use ferrotrace_core::Tracer;

fn main() {
    let mut args = std::env::args().skip(1);
    let case = args.next().unwrap_or_else(|| "child".into());
    let n: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(100_000);
    let tracer = Tracer::new(Config {
        memory: true,
        max_queue_traces: 1 << 20,
        ..Config::default()
    });
    match case.as_str() {
        "child" => {
            // A fresh root per 64 children, so the open trace's span list stays short.
            for _ in 0..n.div_ceil(64) {
                let root = tracer.start_root("root", RootOptions::default());
                for _ in 0..64 {
                    std::hint::black_box(
                        tracer.start_child("child", root.context(), None).end(None),
                    );
                }
                std::mem::forget(root);
            }
        }
        "root" => {
            for _ in 0..n {
                std::hint::black_box(tracer.start_root("root", RootOptions::default()).end(None));
            }
        }
        "floats" => {
            let xs: Vec<f64> = (0..50).map(|i| f64::from(i) * 0.25 + 0.1).collect();
            let mut out = String::with_capacity(1024);
            for _ in 0..n {
                out.clear();
                for x in &xs {
                    ferrotrace_core::model::json::push_f64(&mut out, *x);
                }
                std::hint::black_box(&out);
            }
        }
        other => panic!("unknown case {other}"),
    }
    // No flush: waiting for the worker would count the wait loop as application work.
    drop(tracer);
}
