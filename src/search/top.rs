//! The best few of many scored matches, in one pass.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use super::matcher::{Scored, rank};

/// What `rank` compares before the slot: higher is better.
fn rank_key(s: &Scored) -> u64 {
    // `!name_len` is `u32::MAX - name_len`: shorter names rank higher.
    u64::from(s.score) << 32 | u64::from(!s.name_len)
}

/// A kept hit in the heap of `top`, ordered so that the heap's top is the worst kept.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Kept {
    key: u64,
    slot: u32,
    at: usize,
}

impl PartialOrd for Kept {
    fn partial_cmp(&self, other: &Kept) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Kept {
    fn cmp(&self, other: &Kept) -> Ordering {
        // Same as `rank`: greater means worse.
        other.key.cmp(&self.key).then(self.slot.cmp(&other.slot))
    }
}

/// The `limit` best of `hits` (which are in slot order), best first. One pass keeping a heap
/// of the best so far: since later slots lose ties, a hit needs a strictly better key than
/// the worst kept one to get in, which most fail with a single comparison.
pub(super) fn top(hits: &[Scored], limit: usize) -> Vec<Scored> {
    let k = limit.min(hits.len());
    if k == 0 {
        return Vec::new();
    }
    let mut heap: BinaryHeap<Kept> = BinaryHeap::with_capacity(k);
    let mut bar = 0u64;
    for (at, s) in hits.iter().enumerate() {
        let key = rank_key(s);
        if heap.len() < k {
            heap.push(Kept {
                key,
                slot: s.slot,
                at,
            });
            if heap.len() == k {
                bar = heap.peek().map_or(0, |w| w.key);
            }
        } else if key > bar {
            if let Some(mut worst) = heap.peek_mut() {
                *worst = Kept {
                    key,
                    slot: s.slot,
                    at,
                };
            }
            bar = heap.peek().map_or(0, |w| w.key);
        }
    }
    let mut best: Vec<Scored> = heap
        .into_iter()
        .filter_map(|w| hits.get(w.at).copied())
        .collect();
    best.sort_unstable_by(rank);
    best
}
