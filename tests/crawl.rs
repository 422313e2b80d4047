//! The crawler against the fake server: bounded by the client's concurrency and rate limit,
//! no 429s, and cancellation that stops requests.

mod common;

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use orgtui::crawl::{CrawlOptions, Progress, crawl_with};
use orgtui::directory::{Directory, ProviderKind};
use orgtui::error::Error;
use orgtui::fake::{self, FakeOptions, FakeServer, Org};
use orgtui::http::HttpOptions;

async fn setup(
    latency_ms: u64,
    server_rate: Option<f64>,
    client: HttpOptions,
) -> (FakeServer, Arc<dyn Directory>) {
    let org = Org::from_json(fake::DEMO_ORG_JSON).unwrap();
    let opts = FakeOptions {
        latency: Duration::from_millis(latency_ms),
        rate_limit: server_rate,
        ..FakeOptions::default()
    };
    let server = fake::start(org, opts.clone(), ([127, 0, 0, 1], 0).into())
        .await
        .unwrap();
    let profile = common::profile_with(
        ProviderKind::Wps,
        &server.base_url(),
        &opts.app_id,
        opts.app_secret.expose(),
        client,
    );
    let dir = orgtui::providers::connect(&profile).unwrap();
    (server, dir)
}

const ALL: CrawlOptions = CrawlOptions {
    max_depth: None,
    members: true,
};

#[tokio::test]
async fn crawl_under_the_rate_limit_trips_no_429() {
    // The server allows 100 requests/s; the client limits itself to the same.
    let client = HttpOptions {
        rate_limit: Some(100.0),
        concurrency: 8,
        ..HttpOptions::default()
    };
    let (server, dir) = setup(5, Some(100.0), client).await;
    let root = dir.root().await.unwrap();
    let progress = Progress::new();
    let found = crawl_with(dir, root, ALL, &progress, |_| {}).await.unwrap();
    let org: serde_json::Value = serde_json::from_str(fake::DEMO_ORG_JSON).unwrap();
    assert_eq!(found.depts.len(), org["depts"].as_array().unwrap().len());
    // Everyone but the resigned, whom WPS listings do not take as a status filter.
    let listed = common::listed_on_wps(&org).count();
    assert_eq!(found.unique_users().len(), listed);
    assert_eq!(server.state.stats.throttled.load(Ordering::Relaxed), 0);
    let v = progress.view();
    assert_eq!(v.depts_done, v.depts_known);
    // Every page is counted: at least one children listing per department (WPS has no
    // bulk department listing), and no more than the server saw.
    assert!(v.requests >= v.depts_done);
    assert!(v.requests <= server.state.stats.requests.load(Ordering::Relaxed));
}

#[tokio::test]
async fn cancel_stops_the_crawl_and_its_requests() {
    let client = HttpOptions {
        concurrency: 4,
        ..HttpOptions::default()
    };
    let (server, dir) = setup(50, None, client).await;
    let root = dir.root().await.unwrap();
    let progress = Arc::new(Progress::new());
    let p = progress.clone();
    let task = tokio::spawn(async move {
        let mut seen = 0;
        crawl_with(dir, root, ALL, &p, |_| {
            seen += 1;
            // Cancel from inside once a few departments are in.
            if seen == 5 {
                p.cancel();
            }
        })
        .await
    });
    let result = tokio::time::timeout(Duration::from_secs(10), task)
        .await
        .unwrap()
        .unwrap();
    assert!(matches!(result, Err(Error::Cancelled)), "{result:?}");
    // No more requests after the cancel settles.
    let after = server.state.stats.requests.load(Ordering::Relaxed);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let later = server.state.stats.requests.load(Ordering::Relaxed);
    assert!(
        later <= after + 4,
        "requests kept coming: {after} -> {later}"
    );
    assert!(progress.view().depts_done < progress.view().depts_known);
}

#[tokio::test]
async fn the_company_listing_streams_its_people_with_the_servers_total() {
    let client = HttpOptions {
        rate_limit: Some(200.0),
        concurrency: 8,
        ..HttpOptions::default()
    };
    let (_server, dir) = setup(2, None, client).await;
    let root = dir.root().await.unwrap();
    let progress = Progress::new();
    let mut streamed = std::collections::HashSet::new();
    let mut placed = std::collections::HashSet::new();
    let mut pages = 0;
    let mut found = 0;
    let mut last_page_at = 0;
    let crawl = orgtui::crawl::crawl_events(dir, root, ALL, &progress, |e| match e {
        orgtui::crawl::Event::People(page) => {
            pages += 1;
            last_page_at = found;
            streamed.extend(page.iter().map(|u| u.id.clone()));
        }
        orgtui::crawl::Event::Found(f) => {
            found += 1;
            // Their records came as `People`: the departments hand on ids only.
            match &f.members {
                Some(orgtui::crawl::Members::Ids(ids)) => placed.extend(ids.iter().cloned()),
                other => panic!("members of {} handed on as {other:?}", f.dept_id),
            }
        }
    })
    .await
    .unwrap();
    let org: serde_json::Value = serde_json::from_str(fake::DEMO_ORG_JSON).unwrap();
    let listed = common::listed_on_wps(&org).count();
    // Every page came as it was answered (50 a page), everyone listed once...
    assert_eq!(pages, listed.div_ceil(50));
    assert_eq!(streamed.len(), listed);
    // ...before any department was handed on: their members wait for the whole listing.
    assert_eq!(last_page_at, 0);
    assert_eq!(found, crawl.depts.len());
    let v = progress.view();
    assert_eq!(v.people, listed as u64);
    assert_eq!(v.people_expected, Some(listed as u64), "with_total=true");
    // The people handed on in their departments are the ones streamed; the crawl keeps
    // the tree but not the members it handed on.
    assert_eq!(placed, streamed);
    assert!(crawl.members.is_empty());
}

#[test]
fn time_paused_does_not_count() {
    let progress = Progress::new();
    std::thread::sleep(Duration::from_millis(50));
    progress.set_paused(true);
    std::thread::sleep(Duration::from_millis(300));
    // While paused, the clock stands still too.
    assert!(progress.view().elapsed < Duration::from_millis(300));
    progress.set_paused(false);
    let ran = progress.view().elapsed;
    assert!(ran >= Duration::from_millis(50), "{ran:?}");
    assert!(ran < Duration::from_millis(300), "{ran:?}");
}
