//! The session logs this server can show, and their indexes.
//!
//! `listen` shows the logs in its sessions directory, its own live one first;
//! `view` shows the files it was given. Sessions are named by file stem, and a
//! name from a request is only ever looked up in the listing, never joined to
//! a path, so no request can make the server read another file.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use shared::api::SessionEntry;

use crate::log::index::SessionIndex;

pub enum Source {
    /// Every `*.jsonl` in a directory; `live` is the one being written.
    Directory { dir: PathBuf, live: String },
    /// These files, named as given.
    Files(Vec<PathBuf>),
}

pub struct Catalog {
    source: Source,
    indexes: Mutex<HashMap<PathBuf, Arc<Mutex<SessionIndex>>>>,
}

#[derive(Debug, Clone)]
pub struct SessionInfo {
    pub name: String,
    pub bytes: u64,
    /// Last modification, seconds since the Unix epoch.
    pub modified: Option<u64>,
    pub live: bool,
    pub path: PathBuf,
}

impl SessionInfo {
    /// The session as the web API lists it: everything but its path.
    pub fn entry(&self) -> SessionEntry {
        SessionEntry {
            name: self.name.clone(),
            bytes: self.bytes,
            modified: self.modified,
            live: self.live,
        }
    }
}

impl Catalog {
    pub fn new(source: Source) -> Arc<Self> {
        Arc::new(Catalog {
            source,
            indexes: Mutex::new(HashMap::new()),
        })
    }

    /// The live session's name, if this server records one.
    pub fn live(&self) -> Option<&str> {
        match &self.source {
            Source::Directory { live, .. } => Some(live),
            Source::Files(_) => None,
        }
    }

    /// The sessions, the live one first, then newest first.
    pub fn list(&self) -> Vec<SessionInfo> {
        let mut sessions = match &self.source {
            Source::Directory { dir, live } => {
                let mut found: Vec<SessionInfo> = std::fs::read_dir(dir)
                    .into_iter()
                    .flatten()
                    .flatten()
                    .map(|entry| entry.path())
                    .filter(|p| p.extension().is_some_and(|e| e == "jsonl"))
                    .filter_map(|p| info(&p, live))
                    .collect();
                found.sort_by(|a, b| {
                    b.live
                        .cmp(&a.live)
                        .then(b.modified.cmp(&a.modified))
                        .then(b.name.cmp(&a.name))
                });
                found
            }
            Source::Files(files) => files.iter().filter_map(|p| info(p, "")).collect(),
        };
        // Two files of one name (view a/x.jsonl b/x.jsonl) must stay apart.
        let mut seen: HashMap<String, usize> = HashMap::new();
        for s in &mut sessions {
            let n = seen.entry(s.name.clone()).or_insert(0);
            *n += 1;
            if *n > 1 {
                s.name = format!("{} ({})", s.name, n);
            }
        }
        sessions
    }

    /// The named session, or the default one (the live session, else the first).
    pub fn find(&self, name: Option<&str>) -> Option<SessionInfo> {
        let sessions = self.list();
        match name {
            Some(name) => sessions.into_iter().find(|s| s.name == name),
            None => sessions.into_iter().next(),
        }
    }

    /// The session's index, brought up to date with the file.
    pub fn index(&self, session: &SessionInfo) -> std::io::Result<Arc<Mutex<SessionIndex>>> {
        let index = {
            let mut indexes = self.indexes.lock().unwrap_or_else(|p| p.into_inner());
            indexes
                .entry(session.path.clone())
                .or_insert_with(|| Arc::new(Mutex::new(SessionIndex::new(session.path.clone()))))
                .clone()
        };
        index.lock().unwrap_or_else(|p| p.into_inner()).refresh()?;
        Ok(index)
    }
}

fn info(path: &Path, live: &str) -> Option<SessionInfo> {
    let meta = std::fs::metadata(path).ok()?;
    if !meta.is_file() {
        return None;
    }
    let name = path.file_stem()?.to_string_lossy().into_owned();
    Some(SessionInfo {
        live: !live.is_empty() && name == live,
        bytes: meta.len(),
        modified: meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(SystemTime::UNIX_EPOCH).ok())
            .map(|d| d.as_secs()),
        name,
        path: path.to_path_buf(),
    })
}
