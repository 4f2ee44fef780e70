//! The public listener's limits, driven by real TCP clients against `slbot_http::serve` on
//! 127.0.0.1:0.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use axum::routing::{get, post};
use axum::Router;
use slbot_http::{serve, Limits, Peer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::oneshot;

fn router() -> Router {
    Router::new()
        .route("/", get(|| async { "hello" }))
        .route(
            "/peer",
            get(|peer: Peer| async move { peer.0.ip().to_string() }),
        )
        .route(
            "/slow",
            get(|| async {
                tokio::time::sleep(Duration::from_millis(300)).await;
                "slow"
            }),
        )
        .route(
            "/upload",
            post(|body: axum::body::Bytes| async move { body.len().to_string() }),
        )
}

/// Serves the test router with `limits`; the sender stops it.
async fn start(limits: Limits) -> (SocketAddr, oneshot::Sender<()>, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let served = tokio::spawn(serve(listener, router(), limits, async {
        let _ = stopped.await;
    }));
    (addr, stop, served)
}

fn limits() -> Limits {
    Limits {
        max_connections: 8,
        header_timeout: Duration::from_millis(300),
        request_timeout: Duration::from_millis(500),
        shutdown_grace: Duration::from_secs(5),
    }
}

/// Reads until the server closes the connection (or 5 s pass); what it sent and when it closed.
async fn read_to_close(stream: &mut TcpStream) -> (String, Duration) {
    let started = Instant::now();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match tokio::time::timeout(Duration::from_secs(5), stream.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => break,
            Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
            Err(_) => panic!("the server kept the connection open for 5 s"),
        }
    }
    (
        String::from_utf8_lossy(&got).into_owned(),
        started.elapsed(),
    )
}

#[tokio::test]
async fn a_client_that_never_sends_its_headers_is_cut_off_after_the_header_timeout() {
    let (addr, _stop, _served) = start(limits()).await;
    let mut stream = TcpStream::connect(addr).await.unwrap();
    // Slowloris: part of a request line, then nothing.
    stream
        .write_all(b"GET / HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let (_, after) = read_to_close(&mut stream).await;
    assert!(
        after >= Duration::from_millis(250),
        "closed too early: {after:?}"
    );
    assert!(after < Duration::from_secs(3), "closed after {after:?}");
}

#[tokio::test]
async fn an_idle_kept_alive_connection_is_closed_after_the_header_timeout() {
    let (addr, _stop, _served) = start(limits()).await;
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let (answer, after) = read_to_close(&mut stream).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.ends_with("hello"), "{answer}");
    assert!(after < Duration::from_secs(3), "closed after {after:?}");
}

#[tokio::test]
async fn a_body_sent_too_slowly_is_answered_408_after_the_request_timeout() {
    let (addr, _stop, _served) = start(limits()).await;
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(b"POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n0123456789")
        .await
        .unwrap();
    let (answer, after) = read_to_close(&mut stream).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(
        after >= Duration::from_millis(450),
        "answered too early: {after:?}"
    );
}

#[tokio::test]
async fn a_request_within_the_limits_is_answered_and_sees_the_peer_address() {
    let (addr, _stop, _served) = start(limits()).await;
    let http = reqwest::Client::new();
    let body = http
        .get(format!("http://{addr}/peer"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(body, "127.0.0.1");
    let uploaded = http
        .post(format!("http://{addr}/upload"))
        .body(vec![b'x'; 100_000])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(uploaded, "100000");
}

#[tokio::test]
async fn a_client_beyond_the_connection_cap_waits_until_a_connection_closes() {
    let (addr, _stop, _served) = start(Limits {
        max_connections: 1,
        header_timeout: Duration::from_secs(30),
        ..limits()
    })
    .await;
    let hog = TcpStream::connect(addr).await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let http = reqwest::Client::builder()
        .timeout(Duration::from_millis(400))
        .build()
        .unwrap();
    assert!(
        http.get(format!("http://{addr}/")).send().await.is_err(),
        "a second connection was served while the cap was taken"
    );
    drop(hog);
    tokio::time::sleep(Duration::from_millis(100)).await;
    let answer = http
        .get(format!("http://{addr}/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(answer, "hello");
}

#[tokio::test]
async fn on_shutdown_a_request_in_flight_is_finished_and_new_connections_are_refused() {
    let (addr, stop, served) = start(limits()).await;
    let http = reqwest::Client::new();
    let in_flight = tokio::spawn({
        let http = http.clone();
        async move { http.get(format!("http://{addr}/slow")).send().await }
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    stop.send(()).unwrap();
    let answer = in_flight.await.unwrap().unwrap().text().await.unwrap();
    assert_eq!(answer, "slow");
    tokio::time::timeout(Duration::from_secs(5), served)
        .await
        .expect("serve did not return")
        .unwrap();
    assert!(TcpStream::connect(addr).await.is_err());
}
