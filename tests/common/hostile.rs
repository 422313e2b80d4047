//! A hostile HTTP server for tests: loopback only, one thread per connection, every reply
//! scripted by the test. It speaks plain HTTP/1.1 and closes each connection after one reply,
//! so a test sees every request the client makes, in order.
//!
//! It is bounded so a misbehaving client cannot take the test machine down with it: request
//! heads are capped at 64 KiB, bodies at 4 MiB, and at most 64 connections are served at once.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const MAX_HEAD: usize = 64 * 1024;
const MAX_BODY: usize = 4 * 1024 * 1024;
const MAX_CONNECTIONS: usize = 64;

/// One request as the server saw it.
#[derive(Clone, Debug)]
pub struct Seen {
    pub method: String,
    /// Path and query, as sent (`/v7/depts/root/children?page_size=50`).
    pub target: String,
    /// Header names lower-cased.
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Seen {
    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or("")
    }

    pub fn query(&self) -> &str {
        self.target.split_once('?').map(|(_, q)| q).unwrap_or("")
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The value of query parameter `key`, if given (not percent-decoded).
    pub fn param(&self, key: &str) -> Option<&str> {
        self.query()
            .split('&')
            .filter_map(|kv| kv.split_once('='))
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v)
    }
}

/// What the server answers.
pub enum Reply {
    /// A complete response: status, extra headers, body.
    Full {
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    },
    /// `200` with a declared `Content-Length` of `len` bytes, sent one `chunk` every `every`
    /// (a server that drips its body). Stops when the client hangs up.
    Drip {
        len: usize,
        chunk: Vec<u8>,
        every: Duration,
    },
    /// `200` with a body of `len` bytes of `fill`, sent as fast as the client reads it.
    Huge { len: u64, fill: u8 },
    /// Accept the request and never answer (until the client hangs up or 10 minutes pass).
    Hang,
}

impl Reply {
    /// `200` with a JSON body.
    pub fn json(v: serde_json::Value) -> Reply {
        Reply::status_json(200, v)
    }

    pub fn status_json(status: u16, v: serde_json::Value) -> Reply {
        Reply::Full {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: v.to_string().into_bytes(),
        }
    }

    /// A redirect to `location`.
    pub fn redirect(status: u16, location: &str) -> Reply {
        Reply::Full {
            status,
            headers: vec![("location".into(), location.into())],
            body: Vec::new(),
        }
    }
}

type Handler = dyn Fn(&Seen) -> Reply + Send + Sync + 'static;

/// A running hostile server; stops accepting when dropped.
pub struct Hostile {
    pub url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
    stop: Arc<AtomicBool>,
    addr: std::net::SocketAddr,
}

impl Hostile {
    /// Every request so far, in arrival order.
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// Requests so far whose path contains `needle`.
    pub fn count(&self, needle: &str) -> usize {
        self.seen()
            .iter()
            .filter(|s| s.path().contains(needle))
            .count()
    }
}

impl Drop for Hostile {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect(self.addr);
    }
}

/// Start a hostile server on a free loopback port; `handler` answers every request.
pub fn serve(handler: impl Fn(&Seen) -> Reply + Send + Sync + 'static) -> Hostile {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let addr = listener.local_addr().expect("local addr");
    let seen = Arc::new(Mutex::new(Vec::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let handler: Arc<Handler> = Arc::new(handler);
    let live = Arc::new(AtomicUsize::new(0));
    {
        let seen = seen.clone();
        let stop = stop.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if stop.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                if live.load(Ordering::SeqCst) >= MAX_CONNECTIONS {
                    continue; // dropped: the client sees a reset
                }
                live.fetch_add(1, Ordering::SeqCst);
                let (seen, handler, live, stop) =
                    (seen.clone(), handler.clone(), live.clone(), stop.clone());
                std::thread::spawn(move || {
                    let _ = handle(conn, &seen, &*handler, &stop);
                    live.fetch_sub(1, Ordering::SeqCst);
                });
            }
        });
    }
    Hostile {
        url: format!("http://{addr}"),
        seen,
        stop,
        addr,
    }
}

fn handle(
    conn: TcpStream,
    seen: &Mutex<Vec<Seen>>,
    handler: &Handler,
    stop: &AtomicBool,
) -> std::io::Result<()> {
    conn.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut reader = BufReader::new(conn.try_clone()?);
    let Some(req) = read_request(&mut reader)? else {
        return Ok(());
    };
    if let Ok(mut s) = seen.lock() {
        s.push(req.clone());
    }
    let mut out = conn;
    match handler(&req) {
        Reply::Full {
            status,
            headers,
            body,
        } => {
            write_head(&mut out, status, &headers, body.len() as u64)?;
            out.write_all(&body)?;
        }
        Reply::Drip { len, chunk, every } => {
            write_head(&mut out, 200, &json_type(), len as u64)?;
            let mut sent = 0;
            while sent < len && !stop.load(Ordering::SeqCst) {
                let n = chunk.len().min(len - sent).max(1);
                out.write_all(&chunk[..n.min(chunk.len())])?;
                out.flush()?;
                sent += n;
                std::thread::sleep(every);
            }
        }
        Reply::Huge { len, fill } => {
            write_head(&mut out, 200, &json_type(), len)?;
            let block = vec![fill; 64 * 1024];
            let mut left = len;
            while left > 0 && !stop.load(Ordering::SeqCst) {
                let n = left.min(block.len() as u64) as usize;
                out.write_all(&block[..n])?;
                left -= n as u64;
            }
        }
        Reply::Hang => {
            // Wait for the client to hang up (a read of 0 bytes or an error) or 10 minutes.
            out.set_read_timeout(Some(Duration::from_millis(200)))?;
            let mut buf = [0u8; 1];
            for _ in 0..3000 {
                if stop.load(Ordering::SeqCst) {
                    break;
                }
                match out.read(&mut buf) {
                    Ok(0) => break,
                    Ok(_) => {}
                    Err(e)
                        if matches!(
                            e.kind(),
                            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                        ) => {}
                    Err(_) => break,
                }
            }
        }
    }
    out.flush()
}

fn json_type() -> Vec<(String, String)> {
    vec![("content-type".into(), "application/json".into())]
}

fn write_head(
    out: &mut TcpStream,
    status: u16,
    headers: &[(String, String)],
    len: u64,
) -> std::io::Result<()> {
    let mut head =
        format!("HTTP/1.1 {status} Hostile\r\ncontent-length: {len}\r\nconnection: close\r\n");
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    out.write_all(head.as_bytes())
}

fn read_request(reader: &mut BufReader<TcpStream>) -> std::io::Result<Option<Seen>> {
    let mut head_len = 0;
    let mut line = String::new();
    if reader.read_line(&mut line)? == 0 {
        return Ok(None);
    }
    head_len += line.len();
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or("").to_string();
    let target = parts.next().unwrap_or("").to_string();
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h)? == 0 {
            break;
        }
        head_len += h.len();
        if head_len > MAX_HEAD {
            return Ok(None);
        }
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
    }
    let len = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| v.parse::<usize>().ok())
        .unwrap_or(0)
        .min(MAX_BODY);
    let mut body = vec![0u8; len];
    reader.read_exact(&mut body)?;
    Ok(Some(Seen {
        method,
        target,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    }))
}

// ---- a WPS org for the graph tests (CLI and browser) ----

/// What one children listing answers: items, the next page token, the reported total.
pub type WpsListing = (Vec<serde_json::Value>, Option<String>, Option<u64>);

pub fn wps_dept(id: &str, parent: &str) -> serde_json::Value {
    serde_json::json!({"id": id, "name": id.to_uppercase(), "parent_id": parent})
}

/// A WPS success envelope around `data`.
pub fn wps_ok(data: serde_json::Value) -> Reply {
    Reply::json(serde_json::json!({"code": 0, "msg": "ok", "data": data}))
}

/// A WPS org, root `d0`: `kids(id, page_token)` answers each children listing (the id as
/// it arrived in the path); every department has no members.
pub fn wps_org(kids: impl Fn(&str, Option<&str>) -> WpsListing + Send + Sync + 'static) -> Hostile {
    use serde_json::json;
    serve(move |s: &Seen| {
        let path = s.path().to_string();
        let segs: Vec<&str> = path.split('/').collect();
        match segs.as_slice() {
            ["", "oauth2", "token"] => Reply::json(json!({
                "access_token": "tok", "expires_in": 7200, "token_type": "bearer"
            })),
            ["", "v7", "depts", "root"] => wps_ok(wps_dept("d0", "0")),
            ["", "v7", "depts", id, "children"] => {
                let (items, next, total) = kids(id, s.param("page_token"));
                wps_ok(json!({
                    "items": items,
                    "next_page_token": next.unwrap_or_default(),
                    "total": total,
                }))
            }
            ["", "v7", "depts", _, "members"] => {
                wps_ok(json!({"items": [], "next_page_token": ""}))
            }
            ["", "v7", "depts", id] => wps_ok(wps_dept(id, "d0")),
            _ => Reply::status_json(404, json!({"code": 400000004, "msg": "not found"})),
        }
    })
}
