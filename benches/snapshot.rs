//! Loading the on-disk snapshot of a 100,000-person org: it is on the browser's start path
//! (first frame within 100 ms), so the part of it before the first frame must take
//! milliseconds.
//!
//! cargo bench --bench snapshot

use orgtui::model::generate::{GenSpec, generate};
use orgtui::snapshot::{self, Snapshot};

fn main() {
    divan::main();
}

fn big_snapshot_file() -> (tempfile::TempDir, std::path::PathBuf) {
    let org = generate(&GenSpec::new(100_000, 5_000, 1));
    let snap = Snapshot::from_org_file(&org, "bench");
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("bench.snap");
    snapshot::save(&path, &snap).expect("save");
    (dir, path)
}

#[divan::bench(sample_count = 20)]
fn load_100k(bencher: divan::Bencher) {
    let (_dir, path) = big_snapshot_file();
    bencher.bench(|| snapshot::load(&path).expect("load"));
}

/// The browser's start: the head (every department) checked and decoded, and the first
/// part of the people (those on the first screen) decoded and stored as the browser stores
/// them. The other parts are read after the first frame.
#[divan::bench(sample_count = 20)]
fn open_first_screen_100k(bencher: divan::Bencher) {
    let (_dir, path) = big_snapshot_file();
    bencher.bench(|| {
        let (head, mut people) = snapshot::open(&path).expect("open");
        let first = people.next().expect("a part").expect("decodes");
        let mut app = orgtui::tui::app::App::new("bench", Default::default());
        orgtui::tui::persist::restore_head(&mut app, head);
        orgtui::tui::persist::restore_people(&mut app, orgtui::tui::persist::people_records(first));
        app
    });
}

/// Reading every part after the head, as the browser's loader thread does.
#[divan::bench(sample_count = 10)]
fn open_all_people_100k(bencher: divan::Bencher) {
    let (_dir, path) = big_snapshot_file();
    bencher.bench(|| {
        let (_, people) = snapshot::open(&path).expect("open");
        let mut records = 0;
        for part in people {
            records += orgtui::tui::persist::people_records(part.expect("decodes"))
                .people
                .len();
        }
        records
    });
}

#[divan::bench(sample_count = 10)]
fn save_100k(bencher: divan::Bencher) {
    let (dir, path) = big_snapshot_file();
    let snap = snapshot::load(&path).expect("load");
    let out = dir.path().join("again.snap");
    bencher.bench(|| snapshot::save(&out, &snap).expect("save"));
}

/// Restoring the browser's tree from the snapshot: the rest of the start path.
#[divan::bench(sample_count = 20)]
fn restore_tree_100k(bencher: divan::Bencher) {
    let (_dir, path) = big_snapshot_file();
    let snap = snapshot::load(&path).expect("load");
    bencher.with_inputs(|| snap.clone()).bench_values(|snap| {
        let mut app = orgtui::tui::app::App::new("bench", Default::default());
        orgtui::tui::persist::restore(&mut app, snap)
    });
}
