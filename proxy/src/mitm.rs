//! The certificate authority forward capture decrypts with, and the
//! certificates it signs for each intercepted host.
//!
//! Made by trace_claude for this user and kept in a directory of the
//! server's choosing (0700, the key 0600), so that a restarted proxy signs
//! with the CA a still-running Claude Code already trusts. It is
//! name-constrained to the intercepted hosts (a stolen key can vouch for
//! nothing else), valid for [`CA_DAYS`], and remade when the hosts change or
//! its end is near. It is never installed anywhere: only the processes
//! `trace_claude run --mitm` starts are told to trust it.

use std::collections::HashMap;
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, GeneralSubtree, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, NameConstraints,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::ServerConfig;
use serde_json::json;
use time::{Duration, OffsetDateTime};

/// How long a CA is valid.
pub const CA_DAYS: i64 = 30;
/// A CA this close to its end is replaced at the next start.
const RENEW_WITHIN: Duration = Duration::days(3);
/// Host certificates are made per process and live no longer than this.
const LEAF_DAYS: i64 = 2;

pub const CA_CERT_FILE: &str = "ca.pem";
const CA_KEY_FILE: &str = "ca-key.pem";
const CA_INFO_FILE: &str = "ca.json";

#[derive(Debug, thiserror::Error)]
pub enum MitmError {
    #[error("cannot write {0}: {1}")]
    Write(PathBuf, std::io::Error),
    #[error("cannot make a certificate: {0}")]
    Certificate(#[from] rcgen::Error),
    #[error("--intercept {0:?} is not a host name")]
    NotAHostName(String),
    #[error("cannot use the certificate for {0}: {1}")]
    Tls(String, rustls::Error),
}

pub struct Authority {
    cert_pem: String,
    cert_der: CertificateDer<'static>,
    cert_file: PathBuf,
    issuer: Issuer<'static, KeyPair>,
    not_after: OffsetDateTime,
    hosts: Vec<String>,
    leaves: Mutex<HashMap<String, Arc<ServerConfig>>>,
}

impl Authority {
    /// The CA kept in `dir` when it covers `hosts` and is not near its end;
    /// else a new one, kept there.
    pub fn load_or_create(dir: &Path, hosts: &[String]) -> Result<Authority, MitmError> {
        for host in hosts {
            if host.parse::<std::net::IpAddr>().is_ok() || host.is_empty() || host.contains('/') {
                return Err(MitmError::NotAHostName(host.clone()));
            }
        }
        private_dir(dir)?;
        if let Some(kept) = Self::load(dir, hosts) {
            return Ok(kept);
        }
        let now = OffsetDateTime::now_utc();
        let mut params = ca_params(hosts);
        params.not_before = now - Duration::hours(1);
        params.not_after = now + Duration::days(CA_DAYS);
        let key = KeyPair::generate()?;
        let cert = params.self_signed(&key)?;
        write_private(&dir.join(CA_KEY_FILE), key.serialize_pem().as_bytes())?;
        let info = json!({ "hosts": hosts, "not_after": params.not_after.unix_timestamp() });
        write_replacing(&dir.join(CA_INFO_FILE), info.to_string().as_bytes(), 0o600)?;
        let cert_file = dir.join(CA_CERT_FILE);
        write_replacing(&cert_file, cert.pem().as_bytes(), 0o644)?;
        Ok(Authority {
            cert_pem: cert.pem(),
            cert_der: cert.der().clone(),
            cert_file,
            not_after: params.not_after,
            issuer: Issuer::new(params, key),
            hosts: hosts.to_vec(),
            leaves: Mutex::default(),
        })
    }

    /// The kept CA, when it is whole, covers `hosts` and has time left.
    fn load(dir: &Path, hosts: &[String]) -> Option<Authority> {
        let info: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.join(CA_INFO_FILE)).ok()?).ok()?;
        let kept_hosts: Vec<String> = serde_json::from_value(info.get("hosts")?.clone()).ok()?;
        let not_after =
            OffsetDateTime::from_unix_timestamp(info.get("not_after")?.as_i64()?).ok()?;
        if hosts.iter().any(|h| !kept_hosts.contains(h))
            || not_after - OffsetDateTime::now_utc() < RENEW_WITHIN
        {
            return None;
        }
        let key = KeyPair::from_pem(&std::fs::read_to_string(dir.join(CA_KEY_FILE)).ok()?).ok()?;
        let cert_file = dir.join(CA_CERT_FILE);
        let cert_pem = std::fs::read_to_string(&cert_file).ok()?;
        let cert_der =
            rustls::pki_types::pem::PemObject::from_pem_slice(cert_pem.as_bytes()).ok()?;
        // The issuer is the CA's name, key usages and key: the same
        // parameters rebuild it exactly.
        let mut params = ca_params(&kept_hosts);
        params.not_after = not_after;
        Some(Authority {
            cert_pem,
            cert_der,
            cert_file,
            not_after,
            issuer: Issuer::new(params, key),
            hosts: kept_hosts,
            leaves: Mutex::default(),
        })
    }

    /// The CA certificate (PEM), for `NODE_EXTRA_CA_CERTS`.
    pub fn cert_pem(&self) -> &str {
        &self.cert_pem
    }

    pub fn cert_file(&self) -> &Path {
        &self.cert_file
    }

    /// Whether this CA may vouch for `host`.
    pub fn covers(&self, host: &str) -> bool {
        self.hosts.iter().any(|h| h.eq_ignore_ascii_case(host))
    }

    /// TLS settings presenting a certificate for `host`, signed by this CA:
    /// HTTP/1.1 only, which is what Claude Code speaks in a tunnel.
    pub fn server_config(&self, host: &str) -> Result<Arc<ServerConfig>, MitmError> {
        let host = host.to_ascii_lowercase();
        if let Some(config) = lock(&self.leaves).get(&host) {
            return Ok(Arc::clone(config));
        }
        let now = OffsetDateTime::now_utc();
        let mut params = CertificateParams::new(vec![host.clone()])?;
        params
            .distinguished_name
            .push(DnType::CommonName, host.as_str());
        params.not_before = now - Duration::hours(1);
        params.not_after = (now + Duration::days(LEAF_DAYS)).min(self.not_after);
        params.is_ca = IsCa::ExplicitNoCa;
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        params.use_authority_key_identifier_extension = true;
        let key = KeyPair::generate()?;
        let cert = params.signed_by(&key, &self.issuer)?;
        let mut config = ServerConfig::builder()
            .with_no_client_auth()
            .with_single_cert(
                vec![cert.der().clone(), self.cert_der.clone()],
                PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
            )
            .map_err(|e| MitmError::Tls(host.clone(), e))?;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        let config = Arc::new(config);
        lock(&self.leaves).insert(host, Arc::clone(&config));
        Ok(config)
    }
}

fn ca_params(hosts: &[String]) -> CertificateParams {
    let mut params = CertificateParams::default();
    params.distinguished_name.push(
        DnType::CommonName,
        "trace_claude interception CA (this user only)",
    );
    params
        .distinguished_name
        .push(DnType::OrganizationName, "trace_claude");
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    params.name_constraints = Some(NameConstraints {
        permitted_subtrees: hosts
            .iter()
            .map(|h| GeneralSubtree::DnsName(h.clone()))
            .collect(),
        excluded_subtrees: Vec::new(),
    });
    params
}

/// `dir`, created if need be, readable by its owner only.
fn private_dir(dir: &Path) -> Result<(), MitmError> {
    let fail = |e| MitmError::Write(dir.to_owned(), e);
    std::fs::create_dir_all(dir).map_err(fail)?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).map_err(fail)
}

/// The key is written to a new file created 0600, never widened in between.
fn write_private(path: &Path, bytes: &[u8]) -> Result<(), MitmError> {
    write_replacing(path, bytes, 0o600)
}

/// Written beside, then renamed over: a reader never sees half a file.
fn write_replacing(path: &Path, bytes: &[u8], mode: u32) -> Result<(), MitmError> {
    let fail = |e| MitmError::Write(path.to_owned(), e);
    let partial = path.with_extension("partial");
    let _ = std::fs::remove_file(&partial);
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(&partial)
        .map_err(fail)?;
    file.write_all(bytes).map_err(fail)?;
    file.sync_all().map_err(fail)?;
    std::fs::rename(&partial, path).map_err(fail)
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hosts(names: &[&str]) -> Vec<String> {
        names.iter().map(|h| h.to_string()).collect()
    }

    #[test]
    fn the_ca_is_kept_private_and_reused_while_it_covers_the_hosts() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("state");
        let first = Authority::load_or_create(&state, &hosts(&["api.anthropic.com"])).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&state), 0o700);
        assert_eq!(mode(&state.join(CA_KEY_FILE)), 0o600);
        let again = Authority::load_or_create(&state, &hosts(&["api.anthropic.com"])).unwrap();
        assert_eq!(first.cert_pem(), again.cert_pem(), "a restart keeps the CA");
        // A certificate from the reloaded CA chains to the first one's.
        again.server_config("api.anthropic.com").unwrap();
        let wider =
            Authority::load_or_create(&state, &hosts(&["api.anthropic.com", "mcp.example"]))
                .unwrap();
        assert_ne!(
            first.cert_pem(),
            wider.cert_pem(),
            "new hosts need a new CA"
        );
        assert!(wider.covers("MCP.example"));
        assert!(!wider.covers("example"));
    }

    #[test]
    fn addresses_are_not_interceptable_names() {
        let dir = tempfile::tempdir().unwrap();
        let err = Authority::load_or_create(dir.path(), &hosts(&["127.0.0.1"]))
            .err()
            .unwrap();
        assert!(err.to_string().contains("not a host name"), "{err}");
    }
}
