//! The payload: its layout, the checksum, encoding, and decoding in parallel parts.

use serde::{Deserialize, Serialize};

use super::{FORMAT_VERSION, LoadError, Snapshot, unix_now};

pub(super) const MAGIC: &[u8; 8] = b"ORGTSNAP";
pub(super) const HEADER_LEN: usize = 28;

/// The payload checksum: FNV-1a in four lanes of 8-byte words (`fnv::lanes`, which says why).
pub(super) fn checksum(data: &[u8]) -> u64 {
    crate::fnv::lanes(data)
}

/// Records per part of the payload. Parts are decoded on separate threads: materializing a
/// 100,000-person snapshot is over a million small allocations, the bulk of loading it.
pub(super) const PART_LEN: usize = 4096;

/// The first part of the people is smaller: the browser decodes it before its first frame,
/// and a screenful of people is all that frame needs.
pub(super) const FIRST_PART_LEN: usize = 512;

/// The head as written: the small fields, the departments in parts of `PART_LEN` records
/// (each itself postcard-encoded, so they can be decoded in parallel), and the table of the
/// people's parts that follow the head in the file. `HeadIn` is the same layout read back
/// (postcard writes `&str` and `String` alike).
#[derive(Serialize)]
struct HeadOut<'a> {
    profile: &'a str,
    provider: &'a str,
    saved_at: u64,
    root: Option<&'a str>,
    dept_count: u64,
    user_count: u64,
    depts: Vec<BlobOut>,
    parts: Vec<PartInfo>,
}

#[derive(Deserialize)]
pub(super) struct HeadIn<'a> {
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
    pub(super) parts: Vec<PartInfo>,
}

/// One part of the people: its length in bytes and its own checksum, so a part can be read
/// and checked without the rest of the file.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub(super) struct PartInfo {
    pub(super) len: u64,
    pub(super) sum: u64,
}

/// A whole snapshot's contents, read in place: the head's fields, and every part.
pub(super) struct PayloadIn<'a> {
    pub(super) profile: &'a str,
    pub(super) provider: &'a str,
    pub(super) saved_at: u64,
    pub(super) root: Option<&'a str>,
    pub(super) dept_count: u64,
    pub(super) user_count: u64,
    pub(super) depts: Vec<BlobIn<'a>>,
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

/// The whole file, as the chunks to write one after another: the header and the head, then
/// each part of the people (in tree order, see `Snapshot::people_tree_first`).
pub(super) fn encode(snap: &Snapshot) -> std::io::Result<Vec<Vec<u8>>> {
    let people = snap.people_tree_first();
    let parts = part_ranges(people.len())
        .map(|r| postcard::to_allocvec(people.get(r).unwrap_or_default()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(std::io::Error::other)?;
    let head = Head {
        profile: &snap.profile,
        provider: &snap.provider,
        saved_at: snap.saved_at,
        root: snap.root.as_deref(),
        depts: &snap.depts,
        user_count: snap.users.len() as u64,
    };
    assemble(&head, parts)
}

/// The people's parts: a small first one, then `PART_LEN` each.
pub(super) fn part_ranges(n: usize) -> impl Iterator<Item = std::ops::Range<usize>> {
    let first = n.min(FIRST_PART_LEN);
    std::iter::once(0..first).filter(|r| !r.is_empty()).chain(
        (first..n)
            .step_by(PART_LEN)
            .map(move |at| at..at.saturating_add(PART_LEN).min(n)),
    )
}

/// What the head holds besides the parts' table.
pub(super) struct Head<'a> {
    pub(super) profile: &'a str,
    pub(super) provider: &'a str,
    pub(super) saved_at: u64,
    pub(super) root: Option<&'a str>,
    pub(super) depts: &'a [super::SnapDept],
    pub(super) user_count: u64,
}

/// The header and head, then the people's parts as encoded.
pub(super) fn assemble(head: &Head<'_>, user_parts: Vec<Vec<u8>>) -> std::io::Result<Vec<Vec<u8>>> {
    let head = HeadOut {
        profile: head.profile,
        provider: head.provider,
        saved_at: head.saved_at,
        root: head.root,
        dept_count: head.depts.len() as u64,
        user_count: head.user_count,
        depts: encode_parts(head.depts)?,
        parts: user_parts
            .iter()
            .map(|p| PartInfo {
                len: p.len() as u64,
                sum: checksum(p),
            })
            .collect(),
    };
    let head = postcard::to_allocvec(&head).map_err(std::io::Error::other)?;
    let mut first = Vec::with_capacity(HEADER_LEN.saturating_add(head.len()));
    first.extend_from_slice(MAGIC);
    first.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    first.extend_from_slice(&(head.len() as u64).to_le_bytes());
    first.extend_from_slice(&checksum(&head).to_le_bytes());
    first.extend_from_slice(&head);
    let mut chunks = vec![first];
    chunks.extend(user_parts);
    Ok(chunks)
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

/// Decode one part on its own.
pub(super) fn decode_part<'a, T: Deserialize<'a>>(
    part: &'a [u8],
) -> std::result::Result<Vec<T>, String> {
    let mut out = Vec::new();
    decode_into(&[BlobIn(part)], &mut out)?;
    Ok(out)
}

/// Decode every part, on up to 8 threads each taking a contiguous run of parts, and join
/// them in order. The calling thread decodes the first run straight into the result.
pub(super) fn decode_parts<'a, T: Deserialize<'a> + Send>(
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

/// The fixed header: magic, version, the head's length and checksum. The version is checked
/// before anything else is looked at.
pub(super) fn check_header(header: &[u8]) -> std::result::Result<(u64, u64), LoadError> {
    let corrupt = |m: &str| LoadError::Corrupt(m.to_string());
    if header.get(..MAGIC.len()) != Some(MAGIC.as_slice()) {
        return Err(corrupt("not an orgtui snapshot (bad magic)"));
    }
    let (Some(version), Some(len), Some(sum)) = (
        header.get(8..12).and_then(|b| b.try_into().ok()),
        header.get(12..20).and_then(|b| b.try_into().ok()),
        header.get(20..28).and_then(|b| b.try_into().ok()),
    ) else {
        return Err(corrupt("truncated header"));
    };
    let version = u32::from_le_bytes(version);
    if version != FORMAT_VERSION {
        return Err(LoadError::Incompatible { found: version });
    }
    Ok((u64::from_le_bytes(len), u64::from_le_bytes(sum)))
}

/// The head's bytes, checked against the header's length and checksum and parsed. `rest` is
/// the number of bytes the file has after the head, which the parts must fill exactly.
pub(super) fn check_head(
    head: &[u8],
    sum: u64,
    rest: u64,
) -> std::result::Result<HeadIn<'_>, LoadError> {
    if checksum(head) != sum {
        return Err(LoadError::Corrupt("checksum mismatch in the head".into()));
    }
    let mut h = match postcard::take_from_bytes::<HeadIn>(head) {
        Ok((h, [])) => h,
        Ok(_) => return Err(LoadError::Corrupt("trailing bytes after the head".into())),
        Err(e) => return Err(LoadError::Corrupt(format!("cannot decode: {e}"))),
    };
    let parts = h
        .parts
        .iter()
        .try_fold(0u64, |total, p| total.checked_add(p.len));
    if parts != Some(rest) {
        return Err(LoadError::Corrupt(format!(
            "length mismatch (the head lists {} bytes of people, the file has {rest})",
            parts.map_or_else(|| "too many".to_string(), |n| n.to_string())
        )));
    }
    h.saved_at = bounded_saved_at(h.saved_at, unix_now());
    Ok(h)
}

/// 2000-01-01T00:00:00Z: no orgtui snapshot is older.
const SAVED_AT_MIN: u64 = 946_684_800;
/// 9999-12-31T23:59:59Z: the last second dates print with four-digit years.
const SAVED_AT_MAX: u64 = 253_402_300_799;
/// How far ahead of this machine's clock another machine's (or a corrected) clock may have
/// been when it saved.
const SAVED_AT_AHEAD: u64 = 24 * 60 * 60;

/// The file's save time if it is one orgtui could have written: from 2000 to a day past
/// `now` (to year 9999 when this machine's clock is itself before 2000). Anything else is
/// unknown, stored as 0, which makes the snapshot look as old as it can be: a damaged or
/// hostile time never makes stale data look fresh, nor reaches time arithmetic.
pub(super) fn bounded_saved_at(saved_at: u64, now: u64) -> u64 {
    let latest = if now >= SAVED_AT_MIN {
        now.saturating_add(SAVED_AT_AHEAD).min(SAVED_AT_MAX)
    } else {
        SAVED_AT_MAX
    };
    if (SAVED_AT_MIN..=latest).contains(&saved_at) {
        saved_at
    } else {
        0
    }
}

/// Check a part read on its own against its entry in the head.
pub(super) fn check_part(part: &[u8], info: PartInfo) -> std::result::Result<(), LoadError> {
    if part.len() as u64 != info.len || checksum(part) != info.sum {
        return Err(LoadError::Corrupt("checksum mismatch in the people".into()));
    }
    Ok(())
}

/// Check a whole file held in memory: header, head and every part.
pub(super) fn check(bytes: &[u8]) -> std::result::Result<(), LoadError> {
    payload_in(bytes, true).map(|_| ())
}

/// The whole file's contents, read in place. `verify`: check the checksums (tests of the
/// decoders' robustness turn it off to reach them with damaged bytes).
pub(super) fn payload_in(
    bytes: &[u8],
    verify: bool,
) -> std::result::Result<PayloadIn<'_>, LoadError> {
    let (len, sum) = check_header(bytes)?;
    let rest = bytes.get(HEADER_LEN..).unwrap_or_default();
    let head_len = usize::try_from(len).unwrap_or(usize::MAX);
    let (Some(head), Some(parts)) = (rest.get(..head_len), rest.get(head_len..)) else {
        return Err(LoadError::Corrupt(format!(
            "length mismatch (header says {len} bytes of head, file has {})",
            rest.len()
        )));
    };
    let sum = if verify { sum } else { checksum(head) };
    let h = check_head(head, sum, parts.len() as u64)?;
    let mut users = Vec::with_capacity(h.parts.len());
    let mut at = 0usize;
    for info in &h.parts {
        // check_head made sure the lengths add up to what there is.
        let end = at.saturating_add(usize::try_from(info.len).unwrap_or(usize::MAX));
        let part = parts.get(at..end).unwrap_or_default();
        if verify {
            check_part(part, *info)?;
        }
        users.push(BlobIn(part));
        at = end;
    }
    Ok(PayloadIn {
        profile: h.profile,
        provider: h.provider,
        saved_at: h.saved_at,
        root: h.root,
        dept_count: h.dept_count,
        user_count: h.user_count,
        depts: h.depts,
        users,
    })
}

pub(super) fn decode_checked(bytes: &[u8]) -> std::result::Result<Snapshot, LoadError> {
    decode_payload(payload_in(bytes, false)?)
}

fn decode_payload(p: PayloadIn<'_>) -> std::result::Result<Snapshot, LoadError> {
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
    fn save_times_outside_2000_to_tomorrow_are_unknown() {
        let now = 1_800_000_000;
        let ok = |t| bounded_saved_at(t, now);
        assert_eq!(ok(1_700_000_000), 1_700_000_000);
        assert_eq!(ok(SAVED_AT_MIN), SAVED_AT_MIN);
        assert_eq!(ok(now + 3600), now + 3600, "a clock a little ahead");
        assert_eq!(ok(now + SAVED_AT_AHEAD + 1), 0, "far in the future");
        assert_eq!(ok(SAVED_AT_MIN - 1), 0, "before 2000");
        assert_eq!(ok(0), 0);
        assert_eq!(ok(u64::MAX), 0);
        // A machine whose clock is before 2000 still takes any real save time.
        assert_eq!(bounded_saved_at(1_700_000_000, 0), 1_700_000_000);
        assert_eq!(bounded_saved_at(SAVED_AT_MAX + 1, 0), 0);
    }

    /// A hostile save time in a file (with valid checksums) loads as unknown, and the age
    /// of what was loaded can be computed without overflow.
    #[test]
    fn a_file_with_a_huge_save_time_loads_as_unknown() {
        for saved_at in [u64::MAX, SAVED_AT_MAX + 1, 1] {
            let snap = Snapshot {
                saved_at,
                ..Snapshot::default()
            };
            let bytes = encode(&snap).unwrap().concat();
            let back = decode_checked(&bytes).unwrap();
            assert_eq!(back.saved_at, 0, "{saved_at}");
            let _ = back.age(std::time::SystemTime::now());
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("s.snap");
            std::fs::write(&path, &bytes).unwrap();
            let (head, _) = super::super::open(&path).unwrap();
            assert_eq!(head.saved_at, 0, "{saved_at}");
            let _ = head.age(std::time::SystemTime::now());
        }
        let now = unix_now();
        let snap = Snapshot {
            saved_at: now,
            ..Snapshot::default()
        };
        let back = decode_checked(&encode(&snap).unwrap().concat()).unwrap();
        assert_eq!(back.saved_at, now);
    }

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

    /// Damage that the checksums cannot see (turned off here) must still never panic the
    /// decoders.
    #[test]
    fn decoders_survive_damage_behind_a_valid_checksum() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.snap");
        let try_all = |bytes: Vec<u8>| {
            if let Ok(p) = payload_in(&bytes, false) {
                let _ = decode_payload(p);
            }
            // The browser's way in, with the head's checksum made to match the damage.
            let mut sealed = bytes.clone();
            let head_len = sealed
                .get(12..20)
                .and_then(|b| <[u8; 8]>::try_from(b).ok())
                .map(u64::from_le_bytes)
                .and_then(|n| usize::try_from(n).ok());
            if let Some(head) =
                head_len.and_then(|n| sealed.get(HEADER_LEN..HEADER_LEN.checked_add(n)?))
            {
                let sum = checksum(head);
                sealed[20..28].copy_from_slice(&sum.to_le_bytes());
            }
            std::fs::write(&path, &sealed).unwrap();
            if let Ok((_, people)) = super::super::open(&path) {
                people.take(100).for_each(drop);
            }
            let sb = SnapshotBytes(bytes);
            let _ = sb.profile();
            if let Ok(r) = sb.search_records() {
                for i in 0..r.users.len().min(3) {
                    let _ = r.user(i);
                }
            }
        };
        let snap = Snapshot::from_org_file(
            &crate::model::generate::generate(&crate::model::generate::GenSpec::new(30, 4, 3)),
            "t",
        );
        let good: Vec<u8> = encode(&snap).unwrap().concat();
        let sorted = |mut s: Snapshot| {
            s.users.sort_by(|a, b| a.user.id.cmp(&b.user.id));
            s
        };
        assert_eq!(sorted(decode(&good).unwrap()), sorted(snap));
        let mut rng = fastrand::Rng::with_seed(11);
        for round in 0..3000 {
            let mut bad = good.clone();
            // Past the fixed header: damage there is reported before anything is decoded.
            let i = HEADER_LEN + rng.usize(..bad.len() - HEADER_LEN);
            match round % 4 {
                0 => bad[i] ^= 1 << rng.u8(..8),
                1 => bad.truncate(i),
                2 => bad[i] = 0xff,
                _ => bad.insert(i, rng.u8(..)),
            }
            try_all(bad);
        }
        for n in [0, 1, 2, 10, 100, 1000] {
            let mut garbage = good[..HEADER_LEN].to_vec();
            garbage.extend((0..n).map(|_| rng.u8(..)));
            try_all(garbage);
        }
        // Huge counts claimed by a tiny head with a valid checksum: the counts are only
        // hints, bounded by what the file holds.
        let head = HeadOut {
            profile: "",
            provider: "",
            saved_at: 0,
            root: None,
            dept_count: u64::MAX,
            user_count: u64::MAX,
            depts: Vec::new(),
            parts: Vec::new(),
        };
        let head = postcard::to_allocvec(&head).unwrap();
        let mut tiny = MAGIC.to_vec();
        tiny.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        tiny.extend_from_slice(&(head.len() as u64).to_le_bytes());
        tiny.extend_from_slice(&checksum(&head).to_le_bytes());
        tiny.extend_from_slice(&head);
        std::fs::write(&path, &tiny).unwrap();
        let (h, mut people) = super::super::open(&path).unwrap();
        assert_eq!((h.depts.len(), h.user_count), (0, 0));
        assert!(people.next().is_none());
        let p = payload_in(&tiny, true).unwrap();
        assert!(decode_payload(p).unwrap().users.is_empty());
        try_all(tiny);
    }
}
