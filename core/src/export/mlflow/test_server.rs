//! A loopback HTTP responder for tests: answers each request with the next canned response
//! (the last one repeats) and records what it received. One request per connection.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;

/// What the responder does with one request.
#[derive(Clone, Debug)]
pub(crate) enum Reply {
    /// Status, extra headers, body.
    With(u16, Vec<(&'static str, String)>, String),
    /// Reads the request and never answers (until the server is dropped).
    BlackHole,
}

impl Reply {
    pub(crate) fn json(status: u16, body: serde_json::Value) -> Reply {
        Reply::With(
            status,
            vec![("content-type", "application/json".into())],
            body.to_string(),
        )
    }

    pub(crate) fn empty(status: u16) -> Reply {
        Reply::With(status, vec![], String::new())
    }
}

/// One received request.
#[derive(Clone, Debug)]
pub(crate) struct Received {
    pub(crate) method: String,
    /// Path with query.
    pub(crate) target: String,
    /// Header names lowercased.
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Vec<u8>,
}

impl Received {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub(crate) fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("a JSON body")
    }
}

pub(crate) struct TestServer {
    pub(crate) uri: String,
    pub(crate) received: Arc<Mutex<Vec<Received>>>,
    held: Arc<Mutex<Vec<TcpStream>>>,
}

impl TestServer {
    pub(crate) fn start(replies: Vec<Reply>) -> TestServer {
        TestServer::route(move |_, n| replies[n.min(replies.len() - 1)].clone())
    }

    /// Answers with `f(request, index of the request)`.
    pub(crate) fn route(f: impl Fn(&Received, usize) -> Reply + Send + 'static) -> TestServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let uri = format!("http://{}", listener.local_addr().unwrap());
        let received: Arc<Mutex<Vec<Received>>> = Arc::default();
        let held: Arc<Mutex<Vec<TcpStream>>> = Arc::default();
        let (rec, hold) = (received.clone(), held.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { return };
                let Some(req) = read_request(&stream) else {
                    continue;
                };
                let n = {
                    let mut r = rec.lock();
                    r.push(req.clone());
                    r.len() - 1
                };
                match f(&req, n) {
                    Reply::BlackHole => hold.lock().push(stream),
                    Reply::With(status, headers, body) => {
                        let mut out = format!(
                            "HTTP/1.1 {status} X\r\ncontent-length: {}\r\nconnection: close\r\n",
                            body.len()
                        );
                        for (k, v) in headers {
                            out.push_str(&format!("{k}: {v}\r\n"));
                        }
                        out.push_str("\r\n");
                        out.push_str(&body);
                        let _ = stream.write_all(out.as_bytes());
                    }
                }
            }
        });
        TestServer {
            uri,
            received,
            held,
        }
    }

    pub(crate) fn requests(&self) -> Vec<Received> {
        self.received.lock().clone()
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.held.lock().clear();
    }
}

fn read_request(stream: &TcpStream) -> Option<Received> {
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .ok()?;
    let mut r = BufReader::new(stream);
    let mut line = String::new();
    r.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let (method, target) = (parts.next()?.to_owned(), parts.next()?.to_owned());
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        r.read_line(&mut h).ok()?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        let (k, v) = h.split_once(':')?;
        headers.push((k.trim().to_ascii_lowercase(), v.trim().to_owned()));
    }
    let len = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| v.parse::<usize>().ok())
        .unwrap_or(0);
    let mut body = vec![0; len];
    r.read_exact(&mut body).ok()?;
    Some(Received {
        method,
        target,
        headers,
        body,
    })
}

/// A loopback address where nothing listens.
pub(crate) fn refused_uri() -> String {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let uri = format!("http://{}", l.local_addr().unwrap());
    drop(l);
    uri
}
