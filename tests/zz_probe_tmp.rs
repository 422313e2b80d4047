#[test]
#[ignore]
fn fresh_load() {
    let p = std::path::Path::new("/tmp/snapprobe/p.snap");
    if !p.exists() {
        let file = orgtui::fake::generate::generate(&orgtui::fake::generate::GenSpec::new(100_000, 5_000, 1));
        orgtui::snapshot::save(p, &orgtui::snapshot::Snapshot::from_org_file(&file, "p")).unwrap();
        return;
    }
    let t = std::time::Instant::now();
    let s = orgtui::snapshot::load(p).unwrap();
    eprintln!("fresh load {:?} ({} users)", t.elapsed(), s.users.len());
    std::mem::forget(s);
}
