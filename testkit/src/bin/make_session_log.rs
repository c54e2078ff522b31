//! `make_session_log FILE FLOWS BODY_KB DELTAS`: writes a generated session log
//! (see `testkit::session_gen`), for the browser tests of large sessions.

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [file, flows, body_kb, deltas] = args.as_slice() else {
        anyhow::bail!("usage: make_session_log FILE FLOWS BODY_KB DELTAS");
    };
    let shape = testkit::session_gen::Shape {
        flows: flows.parse()?,
        body_bytes: body_kb.parse::<usize>()? * 1024,
        deltas: deltas.parse()?,
    };
    let bytes = testkit::session_gen::write_session(std::path::Path::new(file), &shape)?;
    println!("{bytes}");
    Ok(())
}
