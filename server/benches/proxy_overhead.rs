//! What the proxy costs: the same load sent direct to the mock upstream and
//! through the real `trace_claude listen` (logging included), side by side.
//!
//! `cargo bench -p server --bench proxy_overhead` prints, for direct, nginx
//! (needs `apt-get install nginx-light`), trace_claude and trace_claude with
//! OpenTelemetry export on, and the differences to direct and to nginx:
//! per-event latency (p50, p99), time to first byte with a 50 kB request body,
//! events per second over 16 concurrent streams, and the proxy's memory after
//! streaming N and 4N events (it must not grow with the events streamed).

use std::path::Path;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use testkit::mock::epoch;
use testkit::nginx::Nginx;
use testkit::otlp_sink::OtlpSink;
use testkit::relay::Relay;
use testkit::{MockUpstream, TraceClaude};

/// Latency rounds: each costs half a second a side, and one side's p50 moves
/// by ±15 µs from round to round on a shared 2-core machine, so the median is
/// taken over many.
const ROUNDS: usize = 15;
const LATENCY_EVENTS: u64 = 1000;
const LATENCY_INTERVAL_US: u64 = 500;
const TTFB_REQUESTS: usize = 300;
const STREAMS: usize = 16;
const EVENTS_PER_STREAM: u64 = 10_000;
const THROUGHPUT_RUNS: usize = 5;

fn client() -> reqwest::Client {
    testkit::install_crypto_provider();
    reqwest::Client::builder()
        .no_proxy()
        .tcp_nodelay(true)
        .pool_max_idle_per_host(64)
        .build()
        .expect("client")
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i]
}

fn sorted(mut v: Vec<f64>) -> Vec<f64> {
    v.sort_by(|a, b| a.total_cmp(b));
    v
}

/// A request for `count` stamped events from the mock's `bench` scenario.
fn bench_request(c: &reqwest::Client, base: &str, count: u64) -> reqwest::RequestBuilder {
    c.post(format!("{base}/v1/messages"))
        .header("x-mock-scenario", "bench")
        .header("x-mock-count", count.to_string())
        .body("{}")
}

/// Streams `count` stamped events and returns how long each took to arrive (µs).
async fn event_latencies(
    c: &reqwest::Client,
    base: &str,
    count: u64,
    interval_us: u64,
) -> Vec<f64> {
    let response = bench_request(c, base, count)
        .header("x-mock-interval-us", interval_us.to_string())
        .send()
        .await
        .expect("bench request");
    let mut stream = response.bytes_stream();
    let mut pending = Vec::new();
    let mut latencies = Vec::with_capacity(count as usize);
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.expect("bench stream");
        let now = epoch().elapsed().as_nanos() as u64;
        pending.extend_from_slice(&chunk);
        // Every complete event in what arrived so far.
        while let Some(end) = find(&pending, b"\n\n") {
            if let Some(t) = stamp(&pending[..end]) {
                latencies.push(now.saturating_sub(t) as f64 / 1000.0);
            }
            pending.drain(..end + 2);
        }
    }
    latencies
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn stamp(event: &[u8]) -> Option<u64> {
    let at = find(event, b"\"t\":")? + 4;
    let digits: Vec<u8> = event[at..]
        .iter()
        .copied()
        .take_while(u8::is_ascii_digit)
        .collect();
    std::str::from_utf8(&digits).ok()?.parse().ok()
}

/// Time from sending a request with a 50 kB body to its first response byte (µs).
async fn ttfb(c: &reqwest::Client, base: &str, body: &str) -> f64 {
    let start = Instant::now();
    let mut stream = c
        .post(format!("{base}/v1/messages"))
        .header("x-mock-scenario", "text")
        .header("content-type", "application/json")
        .body(body.to_owned())
        .send()
        .await
        .expect("ttfb request")
        .bytes_stream();
    stream
        .next()
        .await
        .expect("a first chunk")
        .expect("ttfb body");
    let first = start.elapsed().as_secs_f64() * 1e6;
    while stream.next().await.is_some() {}
    first
}

/// Events per second over `STREAMS` concurrent unpaced streams.
async fn throughput(base: &str) -> f64 {
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..STREAMS {
        let base = base.to_owned();
        tasks.push(tokio::spawn(async move {
            let c = client();
            let response = bench_request(&c, &base, EVENTS_PER_STREAM)
                .send()
                .await
                .expect("throughput request");
            let mut stream = response.bytes_stream();
            let mut events = 0u64;
            let mut tail = 0usize;
            while let Some(chunk) = stream.next().await {
                let chunk = chunk.expect("throughput stream");
                // Count event ends, including one split across chunks.
                let mut bytes = chunk.as_ref();
                if tail == 1 && bytes.first() == Some(&b'\n') {
                    events += 1;
                    bytes = &bytes[1..];
                }
                events += bytes.windows(2).filter(|w| w == b"\n\n").count() as u64;
                tail = usize::from(bytes.last() == Some(&b'\n'));
            }
            events
        }));
    }
    let mut total = 0;
    for task in tasks {
        total += task.await.expect("stream task");
    }
    assert_eq!(
        total,
        STREAMS as u64 * EVENTS_PER_STREAM,
        "every event arrived"
    );
    total as f64 / start.elapsed().as_secs_f64()
}

fn memory_kib(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

/// The sides measured, each in every round: the mock direct, through nginx
/// (a plain proxy that records nothing: the cost of the hop alone), through
/// a bare tokio relay (the hop on trace_claude's runtime, no HTTP), through
/// trace_claude, and through a second trace_claude that also exports every
/// call as an OpenTelemetry span.
const SIDES: [&str; 5] = [
    "direct",
    "nginx",
    "tokio relay",
    "trace_claude",
    "exporting",
];
const NGINX: usize = 1;
const RELAY: usize = 2;
const TRACE_CLAUDE: usize = 3;
const EXPORTING: usize = 4;

#[tokio::main]
async fn main() {
    // This program is also the tokio relay side, started again by itself.
    testkit::relay::serve_if_asked().await;
    let _ = epoch();
    let mock = MockUpstream::start().await.expect("mock upstream");
    let bin = Path::new(env!("CARGO_BIN_EXE_trace_claude"));
    let tc = TraceClaude::start(bin, &mock.url(), &[]).expect("trace_claude");
    let sink = OtlpSink::start().await.expect("OTLP receiver");
    let exporting = TraceClaude::start(bin, &mock.url(), &["--otlp-endpoint", &sink.url()])
        .expect("trace_claude exporting");
    let mock_port: u16 = mock
        .url()
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .expect("mock port");
    let nginx = Nginx::start(mock_port).expect("nginx (apt-get install nginx-light)");
    let relay = Relay::start(
        &std::env::current_exe().expect("the benchmark's own path"),
        mock_port,
    )
    .expect("tokio relay");
    let bases = [
        mock.url(),
        nginx.url(),
        relay.url(),
        tc.proxy_url(),
        exporting.proxy_url(),
    ];
    let c = client();
    println!("trace_claude proxy overhead: direct = client to mock upstream; nginx = through nginx, recording nothing;");
    println!("tokio relay = bytes copied both ways on trace_claude's runtime, no HTTP parsed, nothing recorded;");
    println!("trace_claude = through trace_claude listen, every event logged; exporting = the same with --otlp-endpoint");
    println!("to a receiver that accepts every span\n");

    // Warm connections and code paths on every side.
    for base in &bases {
        event_latencies(&c, base, 200, 0).await;
    }

    // Rounds take the sides in turn so that drift on the machine hits all
    // alike; the figures are the medians of the rounds' percentiles.
    let mut p50_rounds = SIDES.map(|_| Vec::new());
    let mut p99_rounds = SIDES.map(|_| Vec::new());
    for round in 0..ROUNDS {
        // Each round starts at the next side, so that what one side leaves
        // running after its turn (a recorder's last writes, an export) falls
        // on every other side in turn rather than always on the same one.
        for turn in 0..SIDES.len() {
            let side = (round + turn) % SIDES.len();
            let v = sorted(
                event_latencies(&c, &bases[side], LATENCY_EVENTS, LATENCY_INTERVAL_US).await,
            );
            p50_rounds[side].push(percentile(&v, 0.5));
            p99_rounds[side].push(percentile(&v, 0.99));
        }
    }
    let (p50, p99) = (p50_rounds.clone().map(median), p99_rounds.map(median));
    println!("per-event latency, {LATENCY_EVENTS} events paced {LATENCY_INTERVAL_US} µs apart, median of {ROUNDS} rounds (µs)");
    println!("  {:<18} {:>10} {:>10}", "", "p50", "p99");
    for (side, name) in SIDES.iter().enumerate() {
        println!("  {:<18} {:>10.1} {:>10.1}", name, p50[side], p99[side]);
    }
    for side in 1..SIDES.len() {
        println!(
            "  {:<18} {:>10.1} {:>10.1}",
            format!("added, {}", SIDES[side]),
            p50[side] - p50[0],
            p99[side] - p99[0]
        );
    }
    let beyond = |side: usize, p: &[f64]| (p[side] - p[0]) - (p[NGINX] - p[0]);
    println!(
        "  {:<18} {:>10.1} {:>10.1}   (target: at most +10 µs at p50)",
        "beyond nginx",
        beyond(TRACE_CLAUDE, &p50),
        beyond(TRACE_CLAUDE, &p99)
    );
    // The same comparison round by round, where drift between rounds cancels,
    // and the difference between the two trace_claude sides, whose forwarding
    // paths are the same code: how far apart two processes doing the same work
    // land on this machine, the floor under any figure above.
    let paired = |a: usize, b: usize| -> Vec<f64> {
        sorted(
            p50_rounds[a]
                .iter()
                .zip(&p50_rounds[b])
                .map(|(x, y)| x - y)
                .collect(),
        )
    };
    let spread = |label: &str, v: Vec<f64>| {
        let (low, high) = (v.first().copied(), v.last().copied());
        println!(
            "  {label}, round by round: median {:.1} µs (from {:.1} to {:.1})",
            median(v),
            low.unwrap_or(f64::NAN),
            high.unwrap_or(f64::NAN)
        );
    };
    spread("beyond nginx", paired(TRACE_CLAUDE, NGINX));
    // Split in two: what a tokio proxy pays here whatever it does, and what
    // trace_claude's HTTP handling and recording add to that.
    spread("tokio relay minus nginx", paired(RELAY, NGINX));
    spread(
        "trace_claude minus tokio relay",
        paired(TRACE_CLAUDE, RELAY),
    );
    spread(
        "trace_claude minus exporting (the same forwarding path)",
        paired(TRACE_CLAUDE, EXPORTING),
    );
    println!();

    let body = serde_json::json!({
        "model": "claude-sonnet-4-5", "stream": true, "max_tokens": 1024,
        "messages": [{"role": "user", "content": "x".repeat(50_000)}],
    })
    .to_string();
    let mut t = SIDES.map(|_| Vec::new());
    // Interleaved so that drift on the machine hits every side alike.
    for _ in 0..TTFB_REQUESTS {
        for (side, base) in bases.iter().enumerate() {
            t[side].push(ttfb(&c, base, &body).await);
        }
    }
    let t: Vec<Vec<f64>> = t.into_iter().map(sorted).collect();
    println!(
        "time to first byte, {} kB request body, {TTFB_REQUESTS} requests (µs)",
        body.len() / 1000
    );
    println!("  {:<18} {:>10} {:>10}", "", "p50", "p99");
    for (name, v) in SIDES.iter().zip(&t) {
        println!(
            "  {:<18} {:>10.1} {:>10.1}",
            name,
            percentile(v, 0.5),
            percentile(v, 0.99)
        );
    }
    for side in 1..SIDES.len() {
        println!(
            "  {:<18} {:>10.1} {:>10.1}",
            format!("added, {}", SIDES[side]),
            percentile(&t[side], 0.5) - percentile(&t[0], 0.5),
            percentile(&t[side], 0.99) - percentile(&t[0], 0.99)
        );
    }
    println!(
        "  {:<18} {:>10.1} {:>10.1}   (target: at most +150 µs at p50)\n",
        "beyond nginx",
        percentile(&t[TRACE_CLAUDE], 0.5) - percentile(&t[NGINX], 0.5),
        percentile(&t[TRACE_CLAUDE], 0.99) - percentile(&t[NGINX], 0.99)
    );

    let rss_before = memory_kib(tc.pid(), "VmRSS:");
    let mut rates = SIDES.map(|_| Vec::new());
    for _ in 0..THROUGHPUT_RUNS {
        for (side, base) in bases.iter().enumerate() {
            rates[side].push(throughput(base).await);
        }
    }
    let rss_after_n = memory_kib(tc.pid(), "VmRSS:");
    let rates = rates.map(median);
    println!("throughput, {STREAMS} concurrent streams × {EVENTS_PER_STREAM} events, median of {THROUGHPUT_RUNS} runs (events/s)");
    for (side, name) in SIDES.iter().enumerate() {
        println!(
            "  {:<18} {:>12.0} {:>6.0}% of direct {:>6.0}% of nginx",
            name,
            rates[side],
            100.0 * rates[side] / rates[0],
            100.0 * rates[side] / rates[NGINX]
        );
    }
    println!("  (target: trace_claude at least 60% of nginx)\n");

    for _ in 0..THROUGHPUT_RUNS * 3 {
        throughput(&bases[TRACE_CLAUDE]).await;
    }
    // Let the recorder finish writing what it was handed: the log stops
    // growing. What memory holds then is what the events streamed left.
    let mut size = 0;
    for _ in 0..100 {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let now = std::fs::metadata(&tc.log_path).map_or(0, |m| m.len());
        if now == size {
            break;
        }
        size = now;
    }
    let rss_after_4n = memory_kib(tc.pid(), "VmRSS:");
    let streamed = |runs: usize| runs as u64 * STREAMS as u64 * EVENTS_PER_STREAM;
    println!("proxy memory (resident, MiB)");
    println!(
        "  {:<34} {:>8.1}",
        "after warm-up",
        rss_before as f64 / 1024.0
    );
    println!(
        "  {:<34} {:>8.1}",
        format!("after {} events", streamed(THROUGHPUT_RUNS)),
        rss_after_n as f64 / 1024.0
    );
    println!(
        "  {:<34} {:>8.1}",
        format!("after {} events", streamed(THROUGHPUT_RUNS * 4)),
        rss_after_4n as f64 / 1024.0
    );
    println!(
        "  {:<34} {:>8.1}",
        "peak (VmHWM)",
        memory_kib(tc.pid(), "VmHWM:") as f64 / 1024.0
    );
    println!(
        "  {:<34} {:>8.1}",
        "exporting, peak (VmHWM)",
        memory_kib(exporting.pid(), "VmHWM:") as f64 / 1024.0
    );
    println!(
        "  log written: {:.1} MiB; export requests received: {}",
        std::fs::metadata(&tc.log_path)
            .map(|m| m.len())
            .unwrap_or(0) as f64
            / (1024.0 * 1024.0),
        sink.requests()
    );
}
