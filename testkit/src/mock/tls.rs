//! HTTPS for the mock: a certificate authority made for one mock, which the
//! client under test is told to trust (a PEM file), and the server
//! certificate it signs.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio_rustls::TlsAcceptor;

/// The test CA of an HTTPS mock.
pub struct TestCa {
    /// The CA certificate, PEM.
    pub pem: String,
    /// The same, in a file that lives as long as the mock.
    pub file: PathBuf,
    _dir: tempfile::TempDir,
}

impl TestCa {
    /// A fresh CA and an acceptor presenting a certificate it signed for
    /// `names` (DNS names or IP addresses).
    pub fn new(names: &[&str]) -> anyhow::Result<(TestCa, TlsAcceptor)> {
        crate::install_crypto_provider();
        let mut ca = CertificateParams::new(Vec::<String>::new())?;
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.distinguished_name
            .push(DnType::CommonName, "trace_claude test CA");
        ca.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let ca_key = KeyPair::generate()?;
        let ca_cert = ca.self_signed(&ca_key)?;
        let issuer = Issuer::new(ca, ca_key);

        let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
        let mut leaf = CertificateParams::new(names)?;
        leaf.distinguished_name
            .push(DnType::CommonName, "trace_claude mock upstream");
        let leaf_key = KeyPair::generate()?;
        let leaf_cert = leaf.signed_by(&leaf_key, &issuer)?;

        let config = rustls::ServerConfig::builder()
            .with_no_client_auth()
            .with_single_cert(
                vec![leaf_cert.der().clone()],
                PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der())),
            )
            .context("the mock's certificate is unusable")?;
        let dir = tempfile::tempdir()?;
        let file = dir.path().join("test-ca.pem");
        let pem = ca_cert.pem();
        std::fs::write(&file, &pem)?;
        Ok((
            TestCa {
                pem,
                file,
                _dir: dir,
            },
            TlsAcceptor::from(Arc::new(config)),
        ))
    }
}
