//! FNV-1a, 64-bit: the one place its constants and step are written. Snapshot file names and
//! the snapshot checksum are built on it, so its values are part of what is on disk: changing
//! anything here makes existing snapshots fail their checksum (`tests` pins the values).

/// The FNV-1a 64 offset basis.
const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
/// The FNV-1a 64 prime.
const PRIME: u64 = 0x0000_0100_0000_01b3;

/// One FNV-1a step: mix in `word` (a byte, or a wider word for `lanes`).
#[inline]
pub(crate) fn step(h: u64, word: u64) -> u64 {
    (h ^ word).wrapping_mul(PRIME)
}

/// Plain FNV-1a 64 over bytes: for short keys (file names).
pub(crate) fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(OFFSET, |h, &b| step(h, u64::from(b)))
}

/// FNV-1a's step applied to 8-byte words in four interleaved lanes, then the lanes and the
/// length folded together. Byte-at-a-time FNV is one multiply per byte in a dependent chain
/// (~15 ms for a 100,000-person snapshot); this is one multiply per 8 bytes with four chains
/// in flight. Each step is a bijection of the lane state for a fixed word, so changing any
/// single word (any flipped bit) always changes the result.
pub(crate) fn lanes(data: &[u8]) -> u64 {
    // The offset basis rotated by 0, 32, 16 and 48 bits: four different starting states.
    let mut lanes: [u64; 4] = [
        0xcbf2_9ce4_8422_2325,
        0x8422_2325_cbf2_9ce4,
        0x9ce4_8422_2325_cbf2,
        0x2325_cbf2_9ce4_8422,
    ];
    let mut blocks = data.chunks_exact(32);
    for block in &mut blocks {
        for (lane, word) in lanes.iter_mut().zip(block.chunks_exact(8)) {
            let mut w = [0u8; 8];
            w.copy_from_slice(word);
            *lane = step(*lane, u64::from_le_bytes(w));
            // Mix the high bits down: a multiply only carries upwards.
            *lane ^= *lane >> 29;
        }
    }
    let mut h = fnv1a(blocks.remainder());
    for lane in lanes {
        h = step(h, lane);
        h ^= h >> 32;
    }
    step(h, data.len() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The values existing snapshot files and their names were written with.
    #[test]
    fn values_never_change() {
        let mut long: Vec<u8> = (0..=255u8).cycle().take(1024).collect();
        long.extend_from_slice(b"xyz");
        let hundred: Vec<u8> = (0..100u8).collect();
        let cases: [(&[u8], u64, u64); 5] = [
            (b"", 0xcbf29ce484222325, 0xe4d70fffda08b823),
            (b"a", 0xaf63dc4c8601ec8c, 0x2bbd93f7d74e8198),
            (b"foobar", 0x85944171f73967e8, 0x03d6b5ea7221f907),
            (&hundred, 0xfb5c8cec60d83ab1, 0xfc49f3adbaecb392),
            (&long, 0x9de5a807c085b820, 0x12461a3617c949f8),
        ];
        for (data, plain, wide) in cases {
            assert_eq!(fnv1a(data), plain, "fnv1a of {} bytes", data.len());
            assert_eq!(lanes(data), wide, "lanes of {} bytes", data.len());
        }
    }
}
