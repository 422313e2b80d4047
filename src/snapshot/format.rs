//! The payload: its layout, the checksum, encoding, and decoding in parallel parts.

use serde::{Deserialize, Serialize};

use super::{FORMAT_VERSION, LoadError, Snapshot, fnv1a};

pub(super) const MAGIC: &[u8; 8] = b"ORGTSNAP";
pub(super) const HEADER_LEN: usize = 28;

/// The payload checksum: FNV-1a's step applied to 8-byte words in four interleaved lanes,
/// then the lanes and the length folded together. Byte-at-a-time FNV is one multiply per byte
/// in a dependent chain (~15 ms for a 100,000-person snapshot); this is one multiply per 8
/// bytes with four chains in flight. Each step is a bijection of the lane state for a fixed
/// word, so changing any single word (any flipped bit) always changes the result.
pub(super) fn checksum(data: &[u8]) -> u64 {
    const PRIME: u64 = 0x0000_0100_0000_01b3;
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
            *lane = (*lane ^ u64::from_le_bytes(w)).wrapping_mul(PRIME);
            // Mix the high bits down: a multiply only carries upwards.
            *lane ^= *lane >> 29;
        }
    }
    let mut h = fnv1a(blocks.remainder());
    for lane in lanes {
        h = (h ^ lane).wrapping_mul(PRIME);
        h ^= h >> 32;
    }
    (h ^ data.len() as u64).wrapping_mul(PRIME)
}

/// Records per part of the payload. Parts are decoded on separate threads: materializing a
/// 100,000-person snapshot is over a million small allocations, the bulk of loading it.
const PART_LEN: usize = 4096;

/// The payload as written: the small fields, then the departments and the people in parts of
/// `PART_LEN` records, each part itself postcard-encoded, so that they can be decoded in
/// parallel. `PayloadIn` is the same layout read back (postcard writes `&str` and `String`
/// alike).
#[derive(Serialize)]
struct PayloadOut<'a> {
    profile: &'a str,
    provider: &'a str,
    saved_at: u64,
    root: Option<&'a str>,
    dept_count: u64,
    user_count: u64,
    depts: Vec<BlobOut>,
    users: Vec<BlobOut>,
}

#[derive(Deserialize)]
pub(super) struct PayloadIn<'a> {
    #[serde(borrow)]
    pub(super) profile: &'a str,
    #[serde(borrow)]
    pub(super) provider: &'a str,
    pub(super) saved_at: u64,
    #[serde(borrow)]
    pub(super) root: Option<&'a str>,
    pub(super) dept_count: u64,
    pub(super) user_count: u64,
    #[serde(borrow)]
    pub(super) depts: Vec<BlobIn<'a>>,
    #[serde(borrow)]
    pub(super) users: Vec<BlobIn<'a>>,
}

/// One part, written as a single length-prefixed run of bytes...
struct BlobOut(Vec<u8>);

/// ...and read back in place, without copying.
pub(super) struct BlobIn<'a>(pub(super) &'a [u8]);

impl Serialize for BlobOut {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_bytes(&self.0)
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for BlobIn<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> serde::de::Visitor<'de> for V<'a> {
            type Value = BlobIn<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("bytes borrowed from the snapshot")
            }
            fn visit_borrowed_bytes<E>(self, v: &'de [u8]) -> std::result::Result<BlobIn<'a>, E> {
                Ok(BlobIn(v))
            }
        }
        d.deserialize_bytes(V(std::marker::PhantomData))
    }
}

fn encode_parts<T: Serialize>(items: &[T]) -> std::io::Result<Vec<BlobOut>> {
    items
        .chunks(PART_LEN)
        .map(|part| {
            postcard::to_allocvec(part)
                .map(BlobOut)
                .map_err(std::io::Error::other)
        })
        .collect()
}

pub(super) fn encode(snap: &Snapshot) -> std::io::Result<Vec<u8>> {
    let payload = PayloadOut {
        profile: &snap.profile,
        provider: &snap.provider,
        saved_at: snap.saved_at,
        root: snap.root.as_deref(),
        dept_count: snap.depts.len() as u64,
        user_count: snap.users.len() as u64,
        depts: encode_parts(&snap.depts)?,
        users: encode_parts(&snap.users)?,
    };
    postcard::to_allocvec(&payload).map_err(std::io::Error::other)
}

/// Decodes one part's sequence straight onto the end of a `Vec`, so the parts one thread
/// decodes need no vectors of their own (nor copying when they are joined).
struct AppendTo<'v, T>(&'v mut Vec<T>);

impl<'de, T: Deserialize<'de>> serde::de::DeserializeSeed<'de> for AppendTo<'_, T> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> std::result::Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de, T: Deserialize<'de>> serde::de::Visitor<'de> for AppendTo<'_, T> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a sequence")
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(
        self,
        mut seq: A,
    ) -> std::result::Result<(), A::Error> {
        // Parts hold at most PART_LEN records, so a damaged length cannot reserve much.
        self.0.reserve(seq.size_hint().unwrap_or(0).min(PART_LEN));
        while let Some(item) = seq.next_element()? {
            self.0.push(item);
        }
        Ok(())
    }
}

/// Decode `parts` in order onto the end of `out`.
fn decode_into<'a, T: Deserialize<'a>>(
    parts: &[BlobIn<'a>],
    out: &mut Vec<T>,
) -> std::result::Result<(), String> {
    for b in parts {
        let mut de = postcard::Deserializer::from_bytes(b.0);
        serde::de::DeserializeSeed::deserialize(AppendTo(out), &mut de)
            .map_err(|e| format!("cannot decode: {e}"))?;
        if !de.finalize().is_ok_and(|rest| rest.is_empty()) {
            return Err("trailing bytes in a part".into());
        }
    }
    Ok(())
}

/// Decode every part, on up to 8 threads each taking a contiguous run of parts, and join
/// them in order. The calling thread decodes the first run straight into the result.
fn decode_parts<'a, T: Deserialize<'a> + Send>(
    parts: &[BlobIn<'a>],
    count: u64,
) -> std::result::Result<Vec<T>, String> {
    // The count is only a capacity hint; a damaged one cannot reserve more than the parts
    // can hold.
    let capacity = usize::try_from(count)
        .unwrap_or(usize::MAX)
        .min(parts.len().saturating_mul(PART_LEN));
    let mut out = Vec::with_capacity(capacity);
    let threads = std::thread::available_parallelism()
        .map_or(1, std::num::NonZeroUsize::get)
        .min(8)
        .min(parts.len());
    if threads <= 1 {
        decode_into(parts, &mut out)?;
        return Ok(out);
    }
    let per = parts.len().div_ceil(threads);
    let mut runs = parts.chunks(per);
    let first = runs.next().unwrap_or_default();
    std::thread::scope(|scope| {
        let others: Vec<_> = runs
            .map(|run| {
                let work = move || {
                    let mut v = Vec::new();
                    decode_into(run, &mut v).map(|()| v)
                };
                // A thread that cannot start leaves its run to this one.
                std::thread::Builder::new()
                    .spawn_scoped(scope, work)
                    .map_err(|_| run)
            })
            .collect();
        decode_into(first, &mut out)?;
        for other in others {
            match other {
                Ok(handle) => {
                    let v = handle
                        .join()
                        .map_err(|_| "a decoding thread failed".to_string())??;
                    out.extend(v);
                }
                Err(run) => decode_into(run, &mut out)?,
            }
        }
        Ok(out)
    })
}

/// Magic, version, length and checksum. The version is checked before anything is decoded.
pub(super) fn check(bytes: &[u8]) -> std::result::Result<(), LoadError> {
    let corrupt = |m: &str| LoadError::Corrupt(m.to_string());
    if bytes.len() < MAGIC.len() || &bytes[..MAGIC.len()] != MAGIC {
        return Err(corrupt("not an orgtui snapshot (bad magic)"));
    }
    let (Some(version), Some(len), Some(sum)) = (
        bytes.get(8..12).and_then(|b| b.try_into().ok()),
        bytes.get(12..20).and_then(|b| b.try_into().ok()),
        bytes.get(20..28).and_then(|b| b.try_into().ok()),
    ) else {
        return Err(corrupt("truncated header"));
    };
    let version = u32::from_le_bytes(version);
    if version != FORMAT_VERSION {
        return Err(LoadError::Incompatible { found: version });
    }
    let payload = bytes.get(HEADER_LEN..).unwrap_or_default();
    let len = u64::from_le_bytes(len);
    if len != payload.len() as u64 {
        return Err(LoadError::Corrupt(format!(
            "length mismatch (header says {len} bytes, file has {})",
            payload.len()
        )));
    }
    if checksum(payload) != u64::from_le_bytes(sum) {
        return Err(corrupt("checksum mismatch"));
    }
    Ok(())
}

/// The payload's small fields and its parts, still encoded. `bytes` must have passed `check`.
pub(super) fn payload_in(bytes: &[u8]) -> std::result::Result<PayloadIn<'_>, LoadError> {
    let payload = bytes.get(HEADER_LEN..).unwrap_or_default();
    match postcard::take_from_bytes::<PayloadIn>(payload) {
        Ok((p, [])) => Ok(p),
        Ok(_) => Err(LoadError::Corrupt(
            "trailing bytes after the contents".into(),
        )),
        Err(e) => Err(LoadError::Corrupt(format!("cannot decode: {e}"))),
    }
}

pub(super) fn decode_checked(bytes: &[u8]) -> std::result::Result<Snapshot, LoadError> {
    let p = payload_in(bytes)?;
    Ok(Snapshot {
        profile: p.profile.to_string(),
        provider: p.provider.to_string(),
        saved_at: p.saved_at,
        root: p.root.map(str::to_string),
        depts: decode_parts(&p.depts, p.dept_count).map_err(LoadError::Corrupt)?,
        users: decode_parts(&p.users, p.user_count).map_err(LoadError::Corrupt)?,
    })
}

#[cfg(test)]
mod tests {
    use super::super::{SnapshotBytes, decode};
    use super::*;

    #[test]
    fn checksum_sees_every_bit() {
        let data: Vec<u8> = (0..1000u32).map(|i| (i * 7 + 3) as u8).collect();
        let base = checksum(&data);
        for i in [0, 1, 31, 32, 500, 991, 999] {
            for bit in 0..8 {
                let mut d = data.clone();
                d[i] ^= 1 << bit;
                assert_ne!(checksum(&d), base, "byte {i} bit {bit}");
            }
        }
        assert_ne!(checksum(&data[..999]), base);
        assert_ne!(checksum(&[]), checksum(&[0]));
    }

    /// Damage that the checksum cannot see (the checksum recomputed over it) must still never
    /// panic the decoders.
    #[test]
    fn decoders_survive_damage_behind_a_valid_checksum() {
        let with_header = |payload: &[u8]| {
            let mut b = MAGIC.to_vec();
            b.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
            b.extend_from_slice(&(payload.len() as u64).to_le_bytes());
            b.extend_from_slice(&checksum(payload).to_le_bytes());
            b.extend_from_slice(payload);
            b
        };
        let try_all = |bytes: Vec<u8>| {
            let _ = decode(&bytes);
            if check(&bytes).is_ok() {
                let sb = SnapshotBytes(bytes);
                let _ = sb.profile();
                if let Ok(r) = sb.search_records() {
                    for i in 0..r.users.len().min(3) {
                        let _ = r.user(i);
                    }
                }
            }
        };
        let snap = Snapshot::from_org_file(
            &crate::fake::generate::generate(&crate::fake::generate::GenSpec::new(30, 4, 3)),
            "t",
        );
        let good = encode(&snap).unwrap();
        assert_eq!(decode(&with_header(&good)).unwrap(), snap);
        let mut rng = fastrand::Rng::with_seed(11);
        for round in 0..3000 {
            let mut bad = good.clone();
            match round % 4 {
                0 => {
                    let i = rng.usize(..bad.len());
                    bad[i] ^= 1 << rng.u8(..8);
                }
                1 => bad.truncate(rng.usize(..bad.len())),
                2 => {
                    let i = rng.usize(..bad.len());
                    bad[i] = 0xff;
                }
                _ => {
                    let i = rng.usize(..bad.len());
                    bad.insert(i, rng.u8(..));
                }
            }
            try_all(with_header(&bad));
        }
        for n in [0, 1, 2, 10, 100, 1000] {
            let garbage: Vec<u8> = (0..n).map(|_| rng.u8(..)).collect();
            try_all(with_header(&garbage));
        }
        // Huge counts and lengths claimed by a tiny payload.
        try_all(with_header(&[
            0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f,
        ]));
    }
}
