//! One module per subcommand of `trace_claude`.

pub mod export;
pub mod listen;
pub mod run;
pub mod stats;
pub mod view;
