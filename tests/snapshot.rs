//! The on-disk snapshot: round trip, version and corruption handling (never a panic), atomic
//! writes under failure and under concurrent readers.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use orgtui::model::{Dept, DeptRef, User, UserStatus};
use orgtui::snapshot::{
    self, FORMAT_VERSION, LoadError, SnapDept, SnapUser, Snapshot, SnapshotBytes,
};

/// A snapshot with every field set, to distinct values per field (so a field read in the
/// wrong place shows), some listings missing, and `users` people.
fn sample(users: usize, tag: &str) -> Snapshot {
    let dept = |i: usize| SnapDept {
        dept: Dept {
            id: format!("d{i}"),
            name: Some(format!("部门 {i} {tag}")),
            parent_id: (i > 0).then(|| "d0".to_string()),
            path: Some(if i == 0 {
                "Root".into()
            } else {
                format!("Root/部门 {i}")
            }),
            order: Some(i as i64 - 3),
            leader_ids: vec![format!("u{i}"), format!("u{}", i + 1)],
            member_count: i.is_multiple_of(2).then_some(i as u64 * 7),
        },
        children: (i == 0).then(|| vec!["d1".into(), "d2".into(), "d3".into()]),
        members: (i != 2).then(|| {
            (0..users)
                .filter(|u| u % 4 == i)
                .map(|u| format!("u{u}"))
                .collect()
        }),
    };
    let user = |i: usize| SnapUser {
        user: User {
            id: format!("u{i}"),
            name: Some(format!("张伟{i}")),
            email: Some(format!("wei.zhang{i}@acme.example")),
            mobile: (!i.is_multiple_of(3)).then(|| format!("+86 138{i:08}")),
            title: Some(format!("Engineer {tag}")),
            employee_id: Some(format!("E{i:06}")),
            status: Some(UserStatus::ALL[i % 4]),
            leader_id: (i > 0).then(|| format!("u{}", i / 2)),
            dept_ids: vec![format!("d{}", i % 4), "elsewhere".into()],
            depts: vec![DeptRef {
                id: format!("d{}", i % 4),
                name: Some(format!("部门 {}", i % 4)),
                path: (!i.is_multiple_of(5)).then(|| format!("Root/部门 {}", i % 4)),
            }],
            city: Some(format!("City {i}")),
            work_place: i.is_multiple_of(2).then(|| format!("Floor {i}")),
        },
        detailed: i.is_multiple_of(2),
    };
    Snapshot {
        profile: format!("work-{tag}"),
        provider: "feishu".into(),
        saved_at: 1_700_000_000,
        root: Some("d0".into()),
        depts: (0..4).map(dept).collect(),
        users: (0..users).map(user).collect(),
    }
}

fn temp() -> tempfile::TempDir {
    tempfile::tempdir().expect("tempdir")
}

fn temp_files(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .map(|e| e.path())
                .filter(|p| p.to_string_lossy().ends_with(".tmp"))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn round_trip() {
    let dir = temp();
    // Over two parts' worth of people, so the parallel decoding and joining run.
    for n in [0, 1, 9000] {
        let path = dir.path().join(format!("nested/dir/s{n}.snap"));
        let snap = sample(n, "a");
        snapshot::save(&path, &snap).unwrap();
        let loaded = snapshot::load(&path).unwrap();
        assert_eq!(loaded, snap.clone().into_saved_order(), "{n} people");
        // The people come back in tree order: the root's members first (u0, u4, u8, …),
        // then those of its sub-departments in order; d2's listing is not loaded, so its
        // people come last.
        let order: Vec<&str> = loaded.users.iter().map(|u| u.user.id.as_str()).collect();
        if n == 9000 {
            assert_eq!(order[..3], ["u0", "u4", "u8"]);
            assert_eq!(order[2250..2252], ["u1", "u5"]);
            assert_eq!(order[4500..4502], ["u3", "u7"]);
            assert_eq!(order[6750..6752], ["u2", "u6"]);
        }
    }
    assert!(temp_files(&dir.path().join("nested/dir")).is_empty());
    // Saving again replaces it.
    let path = dir.path().join("nested/dir/s1.snap");
    let other = sample(3, "b");
    snapshot::save(&path, &other).unwrap();
    assert_eq!(snapshot::load(&path).unwrap(), other.into_saved_order());
}

/// `orgtui search` reads records in place through mirrors of the model types; they must
/// agree with the model's layout field for field.
#[test]
fn search_records_agree_with_the_model() {
    let dir = temp();
    let path = dir.path().join("s.snap");
    let snap = sample(9000, "c");
    snapshot::save(&path, &snap).unwrap();
    let snap = snap.into_saved_order();
    let bytes = SnapshotBytes::read(&path).unwrap();
    assert_eq!(bytes.profile().unwrap(), "work-c");
    let records = bytes.search_records().unwrap();
    assert_eq!(records.users.len(), snap.users.len());
    assert_eq!(records.depts.len(), snap.depts.len());
    for (i, u) in snap.users.iter().enumerate() {
        let r = records.users[i];
        assert_eq!(r, snapshot::SearchRecord::of_user(&u.user), "user {i}");
        assert_eq!(&records.user(i).unwrap(), u, "user {i}");
    }
    for (i, d) in snap.depts.iter().enumerate() {
        assert_eq!(records.depts[i], snapshot::SearchRecord::of_dept(&d.dept));
        assert_eq!(&records.dept(i).unwrap(), d);
    }
    assert!(records.user(snap.users.len()).is_err());
}

/// The browser's start: the head at once, the people read and checked part by part.
#[test]
fn open_reads_the_head_then_the_people_part_by_part() {
    let dir = temp();
    let path = dir.path().join("s.snap");
    let snap = sample(9000, "o");
    snapshot::save(&path, &snap).unwrap();
    let whole = snapshot::load(&path).unwrap();
    let (head, people) = snapshot::open(&path).unwrap();
    assert_eq!(head.profile, "work-o");
    assert_eq!(head.provider, "feishu");
    assert_eq!(head.saved_at, snap.saved_at);
    assert_eq!(head.root.as_deref(), Some("d0"));
    assert_eq!(head.depts, snap.depts);
    assert_eq!(head.user_count, 9000);
    let parts: Vec<Vec<SnapUser>> = people.map(Result::unwrap).collect();
    assert_eq!(
        parts.iter().map(Vec::len).collect::<Vec<_>>(),
        [512, 4096, 4096, 296]
    );
    assert_eq!(parts.concat(), whole.users);
    // The same split of a snapshot already in memory.
    let (head2, people2) = whole.clone().split();
    assert_eq!(head2, head);
    let parts2: Vec<Vec<SnapUser>> = people2.map(Result::unwrap).collect();
    assert_eq!(parts2, parts);

    assert!(matches!(
        snapshot::open(&dir.path().join("none.snap")),
        Err(LoadError::Missing)
    ));
}

#[test]
fn open_finds_damage_in_the_head_and_in_each_part() {
    let dir = temp();
    let path = dir.path().join("s.snap");
    snapshot::save(&path, &sample(9000, "p")).unwrap();
    let good = std::fs::read(&path).unwrap();
    let head_len = u64::from_le_bytes(good[12..20].try_into().unwrap()) as usize;
    let write = |bytes: &[u8]| std::fs::write(&path, bytes).unwrap();

    // A flipped bit in the head: refused before anything is shown.
    let mut bad = good.clone();
    bad[28 + head_len / 2] ^= 4;
    write(&bad);
    assert!(matches!(snapshot::open(&path), Err(LoadError::Corrupt(_))));
    // A flipped bit in the last part: the head and the parts before it are fine, the last
    // part is reported, and nothing after it is read.
    let mut bad = good.clone();
    let at = good.len() - 1000;
    bad[at] ^= 4;
    write(&bad);
    let (_, mut people) = snapshot::open(&path).unwrap();
    assert_eq!(people.next().unwrap().unwrap().len(), 512);
    assert_eq!(people.next().unwrap().unwrap().len(), 4096);
    assert_eq!(people.next().unwrap().unwrap().len(), 4096);
    match people.next() {
        Some(Err(LoadError::Corrupt(msg))) => assert!(!msg.contains('\n'), "{msg}"),
        other => panic!("damaged last part: {other:?}"),
    }
    assert!(people.next().is_none());
    // Truncated or extended files: the lengths no longer add up.
    for len in [
        0,
        10,
        28,
        28 + head_len - 1,
        28 + head_len + 5,
        good.len() - 1,
    ] {
        write(&good[..len]);
        assert!(
            matches!(snapshot::open(&path), Err(LoadError::Corrupt(_))),
            "truncated to {len}"
        );
    }
    let mut longer = good.clone();
    longer.push(0);
    write(&longer);
    assert!(matches!(snapshot::open(&path), Err(LoadError::Corrupt(_))));
    // Another version is never decoded.
    let mut other = good.clone();
    other[8..12].copy_from_slice(&(FORMAT_VERSION + 1).to_le_bytes());
    write(&other);
    assert!(matches!(
        snapshot::open(&path),
        Err(LoadError::Incompatible { .. })
    ));
}

#[test]
fn missing_is_missing() {
    let dir = temp();
    assert!(matches!(
        snapshot::load(&dir.path().join("nope.snap")),
        Err(LoadError::Missing)
    ));
}

#[test]
fn other_versions_are_incompatible_and_never_decoded() {
    let dir = temp();
    let path = dir.path().join("old.snap");
    for version in [0u32, FORMAT_VERSION + 1, u32::MAX] {
        // A header claiming another version, followed by bytes that are no valid payload at
        // all: they must not even be looked at.
        let mut bytes = b"ORGTSNAP".to_vec();
        bytes.extend_from_slice(&version.to_le_bytes());
        bytes.extend_from_slice(&5u64.to_le_bytes());
        bytes.extend_from_slice(&0u64.to_le_bytes());
        bytes.extend_from_slice(b"\xff\xff\xff\xff\xff");
        std::fs::write(&path, &bytes).unwrap();
        match snapshot::load(&path) {
            Err(LoadError::Incompatible { found }) => assert_eq!(found, version),
            other => panic!("version {version}: {other:?}"),
        }
        // A real snapshot with its version patched is incompatible too.
        snapshot::save(&path, &sample(2, "v")).unwrap();
        let mut bytes = std::fs::read(&path).unwrap();
        bytes[8..12].copy_from_slice(&version.to_le_bytes());
        std::fs::write(&path, &bytes).unwrap();
        assert!(matches!(
            snapshot::load(&path),
            Err(LoadError::Incompatible { found }) if found == version
        ));
    }
    let msg = LoadError::Incompatible { found: 0 }.to_string();
    assert!(msg.contains('0') && !msg.contains('\n'), "{msg}");
}

fn assert_rejected(bytes: &[u8], what: &str) {
    let result = std::panic::catch_unwind(|| snapshot::decode(bytes));
    match result {
        Ok(Err(LoadError::Corrupt(msg))) => {
            assert!(!msg.contains('\n'), "{what}: {msg}");
        }
        // Damage to the version field reads as another version.
        Ok(Err(LoadError::Incompatible { .. })) => {}
        Ok(other) => panic!("{what}: accepted damaged bytes: {other:?}"),
        Err(_) => panic!("{what}: panicked"),
    }
}

#[test]
fn damage_is_corrupt_never_a_panic() {
    let dir = temp();
    let path = dir.path().join("s.snap");
    snapshot::save(&path, &sample(5, "d")).unwrap();
    let good = std::fs::read(&path).unwrap();
    assert!(snapshot::decode(&good).is_ok());

    // Every truncation.
    for len in 0..good.len() {
        assert_rejected(&good[..len], &format!("truncated to {len}"));
    }
    // Every bit of every byte flipped.
    for i in 0..good.len() {
        for bit in 0..8 {
            let mut bad = good.clone();
            bad[i] ^= 1 << bit;
            assert_rejected(&bad, &format!("byte {i} bit {bit} flipped"));
        }
    }
    // Extra bytes at the end.
    let mut longer = good.clone();
    longer.push(0);
    assert_rejected(&longer, "one byte longer");
    // Garbage of all sizes, with and without the magic.
    let mut rng = fastrand::Rng::with_seed(7);
    for n in [0, 1, 7, 8, 12, 27, 28, 29, 100, 5000] {
        let garbage: Vec<u8> = (0..n).map(|_| rng.u8(..)).collect();
        assert_rejected(&garbage, &format!("{n} random bytes"));
        let mut magic = b"ORGTSNAP".to_vec();
        magic.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        magic.extend(garbage);
        assert_rejected(&magic, &format!("magic + {n} random bytes"));
    }
    // And through the file API, with the one-line messages the CLI shows.
    std::fs::write(&path, b"not a snapshot").unwrap();
    let err = snapshot::load(&path).unwrap_err();
    assert!(matches!(err, LoadError::Corrupt(_)), "{err:?}");
    assert!(!err.to_string().contains('\n'));
    assert!(SnapshotBytes::read(&path).is_err());
}

#[test]
fn failed_save_leaves_nothing_behind() {
    let dir = temp();
    // The parent is a file: the save fails, and no temp file is left anywhere.
    let blocker = dir.path().join("blocker");
    std::fs::write(&blocker, b"x").unwrap();
    assert!(snapshot::save(&blocker.join("s.snap"), &sample(3, "e")).is_err());
    assert!(temp_files(dir.path()).is_empty());
    assert_eq!(std::fs::read(&blocker).unwrap(), b"x");

    // The target is a directory: the rename fails after the temp file was written; the
    // temp file is removed and the directory untouched.
    let target = dir.path().join("target.snap");
    std::fs::create_dir(&target).unwrap();
    std::fs::write(target.join("inside"), b"y").unwrap();
    assert!(snapshot::save(&target, &sample(3, "e")).is_err());
    assert!(temp_files(dir.path()).is_empty());
    assert_eq!(std::fs::read(target.join("inside")).unwrap(), b"y");
}

/// A save that fails half-way through writing (the file size limit is hit) keeps the
/// previous snapshot and leaves no temp file. Run in a child process: the limit is
/// process-wide and would disturb the other tests.
#[test]
fn write_failing_midway_keeps_the_previous_snapshot() {
    const CHILD: &str = "ORGTUI_SNAPSHOT_TEST_CHILD";
    if let Some(path) = std::env::var_os(CHILD) {
        // The child: limit file size (also for root) and ignore the signal that would
        // otherwise kill us, then try to save a snapshot far over the limit.
        unsafe {
            libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
            let limit = libc::rlimit {
                rlim_cur: 4096,
                rlim_max: 4096,
            };
            assert_eq!(libc::setrlimit(libc::RLIMIT_FSIZE, &limit), 0);
        }
        let result = snapshot::save(Path::new(&path), &sample(3000, "new"));
        assert!(result.is_err(), "the save should have hit the size limit");
        return;
    }
    let dir = temp();
    let path = dir.path().join("s.snap");
    let previous = sample(10, "old").into_saved_order();
    snapshot::save(&path, &previous).unwrap();
    let status = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "write_failing_midway_keeps_the_previous_snapshot",
            "--test-threads=1",
        ])
        .env(CHILD, &path)
        // The size limit applies to every file the child writes: its output must not go to
        // a file (CI may redirect ours to one), or the harness itself fails to print.
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "child: {status}");
    assert_eq!(snapshot::load(&path).unwrap(), previous);
    assert!(temp_files(dir.path()).is_empty());
}

/// A save killed before its rename leaves its temp file; the next save clears it once it is
/// clearly abandoned, and leaves alone what another writer may still be writing.
#[test]
fn abandoned_temp_files_are_cleared_by_the_next_save() {
    let dir = temp();
    let path = dir.path().join("s.snap");
    let stale = dir.path().join(".s.snap.4242.0.tmp");
    let busy = dir.path().join(".s.snap.4343.0.tmp");
    let other = dir.path().join(".other.snap.4242.0.tmp");
    for f in [&stale, &busy, &other] {
        std::fs::write(f, b"half a snapshot").unwrap();
    }
    let an_hour_ago = std::time::SystemTime::now() - Duration::from_secs(3600);
    for f in [&stale, &other] {
        let file = std::fs::File::options().write(true).open(f).unwrap();
        file.set_modified(an_hour_ago).unwrap();
    }
    snapshot::save(&path, &sample(3, "t")).unwrap();
    assert!(
        !stale.exists(),
        "an abandoned temp file of this snapshot is removed"
    );
    assert!(busy.exists(), "a recent one may be another writer's");
    assert!(
        other.exists(),
        "another snapshot's are not this save's business"
    );
    assert!(snapshot::load(&path).is_ok());
}

#[test]
fn readers_never_see_a_partial_file() {
    let dir = temp();
    let path = dir.path().join("s.snap");
    let old = sample(6000, "old").into_saved_order();
    let new = sample(6500, "new").into_saved_order();
    snapshot::save(&path, &old).unwrap();
    let done = AtomicBool::new(false);
    std::thread::scope(|s| {
        let reader = s.spawn(|| {
            let mut loads = 0;
            while !done.load(Ordering::Relaxed) || loads < 5 {
                match snapshot::load(&path) {
                    Ok(snap) => assert!(snap == old || snap == new, "a mixed snapshot"),
                    Err(e) => panic!("load {loads} failed during writes: {e}"),
                }
                loads += 1;
            }
            loads
        });
        for i in 0..12 {
            let snap = if i % 2 == 0 { &new } else { &old };
            snapshot::save(&path, snap).unwrap();
        }
        done.store(true, Ordering::Relaxed);
        let loads = reader.join().unwrap();
        assert!(loads >= 5);
    });
    assert!(temp_files(dir.path()).is_empty());
}

#[test]
fn age() {
    let snap = Snapshot {
        saved_at: 1000,
        ..Snapshot::default()
    };
    let at = |s| std::time::UNIX_EPOCH + Duration::from_secs(s);
    assert_eq!(snap.age(at(1060)), Duration::from_secs(60));
    // A clock set back: no age rather than a panic.
    assert_eq!(snap.age(at(10)), Duration::ZERO);
}

#[test]
fn paths_are_per_profile_and_server() {
    let Some(a) = snapshot::path_for("work", "wps", "https://openapi.wps.cn") else {
        return; // no home directory here
    };
    assert!(a.ends_with(a.file_name().unwrap()));
    assert_eq!(a.parent().unwrap().file_name().unwrap(), "snapshots");
    let name = a.file_name().unwrap().to_string_lossy().into_owned();
    assert!(
        name.starts_with("work-") && name.ends_with(".snap"),
        "{name}"
    );
    let b = snapshot::path_for("work", "wps", "https://wps.example.corp").unwrap();
    assert_ne!(a, b);
    let hostile = snapshot::path_for("../x/y", "wps", "u").unwrap();
    assert_eq!(hostile.parent(), a.parent(), "{hostile:?}");
}

/// The load time of a 100,000-person snapshot (the browser's start path). Run in release:
/// `cargo test --release --test snapshot -- --ignored --nocapture load_speed`
#[test]
#[ignore]
fn load_speed() {
    use orgtui::model::generate::{GenSpec, generate};
    let file = generate(&GenSpec::new(100_000, 5_000, 1));
    let snap = Snapshot::from_org_file(&file, "speed");
    let dir = temp();
    let path = dir.path().join("s.snap");
    let t = std::time::Instant::now();
    snapshot::save(&path, &snap).unwrap();
    let saved = t.elapsed();
    let size = std::fs::metadata(&path).unwrap().len();
    let mut times = Vec::new();
    for _ in 0..5 {
        let t = std::time::Instant::now();
        let loaded = snapshot::load(&path).unwrap();
        times.push(t.elapsed());
        assert_eq!(loaded.users.len(), 100_000);
        // Not part of loading: the browser keeps it.
        std::mem::forget(loaded);
    }
    times.sort();
    let t = std::time::Instant::now();
    let records = SnapshotBytes::read(&path).unwrap();
    let n = records.search_records().unwrap().users.len();
    let search_read = t.elapsed();
    eprintln!(
        "100k snapshot: {:.1} MB, save {saved:?}, load min {:?} median {:?} max {:?}; search records ({n}) {search_read:?}",
        size as f64 / 1e6,
        times[0],
        times[2],
        times[4]
    );
}
