//! A flat hash table of slots (open addressing, linear probing) whose keys live elsewhere: the
//! caller hashes and compares through the slot, so no key is stored twice. Deterministic (no
//! per-process seed), so the same inserts give the same layout in every run.

/// Cells hold `slot + 1`; 0 is empty. The capacity is zero or a power of two, at most half
/// full, so every probe ends at an empty cell.
#[derive(Debug, Clone, Default)]
pub(super) struct Table {
    pub(super) cells: Vec<u32>,
    pub(super) len: usize,
}

const MIN_CAPACITY: usize = 16;

impl Table {
    fn mask(&self) -> usize {
        self.cells.len().wrapping_sub(1)
    }

    fn home(&self, hash: u64) -> usize {
        // The high bits are the best mixed.
        (hash.rotate_left(20) as usize) & self.mask()
    }

    /// Every slot stored under `hash` for which `eq` holds, in probe order.
    pub(super) fn find_all(&self, hash: u64, mut eq: impl FnMut(u32) -> bool) -> Vec<u32> {
        let mut out = Vec::new();
        self.probe(hash, |slot| {
            if eq(slot) {
                out.push(slot);
            }
            false
        });
        out
    }

    /// The first slot stored under `hash` for which `eq` holds.
    pub(super) fn find(&self, hash: u64, mut eq: impl FnMut(u32) -> bool) -> Option<u32> {
        let mut found = None;
        self.probe(hash, |slot| {
            if eq(slot) {
                found = Some(slot);
                true
            } else {
                false
            }
        });
        found
    }

    /// Visit the slots of the probe run of `hash` until `stop` says so. Bounded by the
    /// capacity, so a probe cannot loop forever even if no cell were empty.
    fn probe(&self, hash: u64, mut stop: impl FnMut(u32) -> bool) {
        if self.cells.is_empty() {
            return;
        }
        let mut i = self.home(hash);
        for _ in 0..self.cells.len() {
            match self.cells.get(i) {
                Some(&0) | None => return,
                Some(&cell) => {
                    if stop(cell.wrapping_sub(1)) {
                        return;
                    }
                }
            }
            i = i.wrapping_add(1) & self.mask();
        }
    }

    /// Add `slot` under `hash` (duplicates allowed). `hash_of` gives any stored slot's hash,
    /// for growing.
    pub(super) fn insert(&mut self, hash: u64, slot: u32, hash_of: impl Fn(u32) -> u64) {
        if self.len.saturating_add(1).saturating_mul(2) > self.cells.len() {
            self.grow(&hash_of);
        }
        self.place(hash, slot);
        self.len = self.len.saturating_add(1);
    }

    /// Make room for `more` entries without growing again.
    pub(super) fn reserve(&mut self, more: usize, hash_of: impl Fn(u32) -> u64) {
        // Past usize::MAX / 2 no power of two fits: such a reservation could never be met.
        let want = self
            .len
            .saturating_add(more)
            .saturating_mul(2)
            .checked_next_power_of_two()
            .unwrap_or(usize::MAX)
            .max(MIN_CAPACITY);
        while self.cells.len() < want {
            self.grow(&hash_of);
        }
    }

    fn place(&mut self, hash: u64, slot: u32) {
        let mask = self.mask();
        let mut i = self.home(hash);
        while let Some(cell) = self.cells.get_mut(i) {
            if *cell == 0 {
                // Slots are below u32::MAX (insert refuses more), so this never wraps to 0.
                *cell = slot.wrapping_add(1);
                return;
            }
            i = i.wrapping_add(1) & mask;
        }
    }

    fn grow(&mut self, hash_of: &impl Fn(u32) -> u64) {
        let cap = self.cells.len().saturating_mul(2).max(MIN_CAPACITY);
        let old = std::mem::replace(&mut self.cells, vec![0; cap]);
        for cell in old.into_iter().filter(|&c| c != 0) {
            let slot = cell.wrapping_sub(1);
            self.place(hash_of(slot), slot);
        }
    }

    /// Remove `slot` stored under `hash`, shifting later cells of the run back so probes
    /// still reach them.
    pub(super) fn remove(&mut self, hash: u64, slot: u32, hash_of: impl Fn(u32) -> u64) {
        if self.cells.is_empty() {
            return;
        }
        let mask = self.mask();
        let mut i = self.home(hash);
        let mut found = None;
        for _ in 0..self.cells.len() {
            match self.cells.get(i) {
                Some(&0) | None => break,
                Some(&c) if c == slot.wrapping_add(1) => {
                    found = Some(i);
                    break;
                }
                _ => i = i.wrapping_add(1) & mask,
            }
        }
        let Some(mut hole) = found else { return };
        self.len = self.len.saturating_sub(1);
        let mut j = hole;
        loop {
            if let Some(c) = self.cells.get_mut(hole) {
                *c = 0;
            }
            loop {
                j = j.wrapping_add(1) & mask;
                let cell = self.cells.get(j).copied().unwrap_or(0);
                if cell == 0 {
                    return;
                }
                let home = self.home(hash_of(cell.wrapping_sub(1)));
                // Move the cell back unless its home lies cyclically in (hole, j].
                let stays = if hole <= j {
                    hole < home && home <= j
                } else {
                    hole < home || home <= j
                };
                if !stays {
                    if let Some(h) = self.cells.get_mut(hole) {
                        *h = cell;
                    }
                    hole = j;
                    break;
                }
            }
        }
    }

    /// Whether the cells are consistent (tests check it after removals): a power-of-two
    /// capacity with an empty cell, every entry naming one of `slots` slots.
    #[cfg(test)]
    pub(super) fn is_valid(&self, slots: usize) -> bool {
        let cap = self.cells.len();
        if cap == 0 {
            return self.len == 0;
        }
        let used = self.cells.iter().filter(|&&c| c != 0).count();
        cap.is_power_of_two()
            && used == self.len
            && used <= cap / 2
            && self.cells.iter().all(|&c| (c as usize) <= slots)
    }
}

/// FxHash-style mixing: fast, deterministic, good enough for ids and addresses.
#[derive(Debug, Clone, Copy)]
pub(super) struct Hasher(u64);

impl Hasher {
    pub(super) fn new(seed: u64) -> Hasher {
        Hasher(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15))
    }

    pub(super) fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x517c_c1b7_2722_0a95);
    }

    pub(super) fn bytes(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0; 8];
            w.copy_from_slice(c);
            self.add(u64::from_le_bytes(w));
        }
        let rest = chunks.remainder();
        let mut w = [0; 8];
        for (dst, &b) in w.iter_mut().zip(rest) {
            *dst = b;
        }
        self.add(u64::from_le_bytes(w) ^ (rest.len() as u64) << 59);
    }

    pub(super) fn finish(self) -> u64 {
        // One more round so the last word's bits reach the top.
        let h = self.0 ^ (self.0 >> 29);
        h.wrapping_mul(0xbf58_476d_1ce4_e5b9) ^ (h >> 32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insert_find_remove_with_collisions() {
        // Every key hashes alike: one long run, the worst case for removal.
        let mut t = Table::default();
        let same = |_: u32| 7u64;
        for s in 0..40 {
            t.insert(7, s, same);
        }
        assert_eq!(t.find_all(7, |_| true).len(), 40);
        for s in (0..40).step_by(3) {
            t.remove(7, s, same);
        }
        let mut left = t.find_all(7, |_| true);
        left.sort_unstable();
        assert_eq!(left, (0..40).filter(|s| s % 3 != 0).collect::<Vec<_>>());
        assert!(t.is_valid(40));
        // Distinct hashes.
        let mut t = Table::default();
        let h = |s: u32| {
            let mut x = Hasher::new(1);
            x.add(u64::from(s % 50));
            x.finish()
        };
        for s in 0..1000 {
            t.insert(h(s), s, h);
        }
        for s in (0..1000).step_by(2) {
            t.remove(h(s), s, h);
        }
        for s in 0..1000 {
            let found = t.find(h(s), |x| x == s);
            assert_eq!(found.is_some(), s % 2 == 1, "{s}");
        }
        assert!(t.is_valid(1000));
    }
}
