//! For benchmarks only (`bench/compare.sh`): `ORGTUI_BENCH_EXIT=first-frame` quits right after
//! the first frame is drawn (time to first frame = process time); `after-ms:N` quits at the
//! first frame after N ms (peak memory once everything is loaded and indexed); `indexed` quits
//! at the first frame after the background index (or `a`) ended (peak memory with the index
//! running, its time). Read once at startup; the loop only asks `done` after each frame.

use std::time::{Duration, Instant};

/// The environment variable the benchmarks set.
pub const VAR: &str = "ORGTUI_BENCH_EXIT";

pub enum BenchExit {
    Never,
    FirstFrame,
    After(Instant),
    Indexed,
}

impl BenchExit {
    pub fn from_env() -> BenchExit {
        match std::env::var(VAR) {
            Ok(v) => BenchExit::parse(&v, Instant::now()),
            Err(_) => BenchExit::Never,
        }
    }

    fn parse(v: &str, now: Instant) -> BenchExit {
        match v {
            "first-frame" => return BenchExit::FirstFrame,
            "indexed" => return BenchExit::Indexed,
            _ => {}
        }
        match v
            .strip_prefix("after-ms:")
            .and_then(|n| n.parse::<u64>().ok())
        {
            // A wait too long for an Instant: never exit on time.
            Some(ms) => match now.checked_add(Duration::from_millis(ms)) {
                Some(at) => BenchExit::After(at),
                None => BenchExit::Never,
            },
            None => BenchExit::Never,
        }
    }

    /// After `frames` frames, `indexed` once a crawl has run and ended: time to quit?
    pub fn done(&self, frames: u64, indexed: bool) -> bool {
        match self {
            BenchExit::Never => false,
            BenchExit::FirstFrame => frames >= 1,
            BenchExit::After(t) => Instant::now() >= *t,
            BenchExit::Indexed => indexed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_three_forms_and_ignores_anything_else() {
        let now = Instant::now();
        assert!(matches!(
            BenchExit::parse("first-frame", now),
            BenchExit::FirstFrame
        ));
        assert!(matches!(
            BenchExit::parse("after-ms:5", now),
            BenchExit::After(_)
        ));
        assert!(matches!(
            BenchExit::parse("after-ms:x", now),
            BenchExit::Never
        ));
        assert!(matches!(BenchExit::parse("", now), BenchExit::Never));
        assert!(matches!(
            BenchExit::parse("indexed", now),
            BenchExit::Indexed
        ));
        assert!(!BenchExit::FirstFrame.done(0, false));
        assert!(BenchExit::FirstFrame.done(1, false));
        assert!(!BenchExit::Never.done(100, true));
        assert!(!BenchExit::Indexed.done(100, false));
        assert!(BenchExit::Indexed.done(1, true));
    }
}
