//! The server's integration tests: the real `trace_claude` binary between a
//! real client and the mock upstream, one module per area. They are one test
//! binary so that the workspace links them once; [`util`] holds what they share.

mod util;

mod agents;
mod claude_code;
mod cli;
mod client_faults;
mod event_api;
mod export;
mod flows_api;
mod forward_capture;
mod load;
mod log_faults;
mod mcp;
mod metrics;
mod otlp;
mod prices_2026;
mod proxy_faults;
mod proxy_flows;
mod secrets;
mod shutdown;
mod site;
mod stats;
mod tls_upstream;
mod todays_blocks;
mod upstream_connections;
mod upstream_faults;
