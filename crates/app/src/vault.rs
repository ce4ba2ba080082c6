//! Secrets kept in the database (gateway keys, webhook secrets) are sealed with AES-256-GCM
//! under a key that lives outside the database, in a file under the data directory. A copy of
//! the database alone does not give away a gateway's keys; each sealed value is bound to its
//! setting's name, so two sealed values cannot be swapped.

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use domain::{Error, Result};
use rand::RngCore;
use std::path::Path;
use std::sync::Arc;

const KEY_LEN: usize = 32;
/// Sealed values start with this, so a value stored by a later scheme can be told apart.
const PREFIX: &str = "v1:";

#[derive(Clone)]
pub struct Vault {
    key: Arc<LessSafeKey>,
    /// Where the key came from, for messages: its file, or "a random key".
    origin: Arc<str>,
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Vault(..)")
    }
}

impl Vault {
    pub fn from_key(bytes: &[u8; KEY_LEN], origin: &str) -> Vault {
        let key = UnboundKey::new(&AES_256_GCM, bytes).expect("a 32-byte key fits AES-256-GCM");
        Vault {
            key: Arc::new(LessSafeKey::new(key)),
            origin: origin.into(),
        }
    }

    /// A vault with a fresh random key, for tests and throwaway workspaces.
    pub fn random() -> Vault {
        Vault::from_key(&random_key(), "a random key")
    }

    /// Where the key came from: its file's path, or "a random key".
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The key in `path`, created (readable by the owner only) on first start.
    pub fn open_or_create(path: &Path) -> std::io::Result<Vault> {
        match std::fs::read(path) {
            Ok(bytes) => {
                let text = String::from_utf8_lossy(&bytes);
                let key = STANDARD
                    .decode(text.trim())
                    .ok()
                    .and_then(|k| <[u8; KEY_LEN]>::try_from(k).ok())
                    .ok_or_else(|| {
                        std::io::Error::new(
                            std::io::ErrorKind::InvalidData,
                            format!("{} does not hold a base64 32-byte key", path.display()),
                        )
                    })?;
                Ok(Vault::from_key(&key, &path.display().to_string()))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let key = random_key();
                write_private(path, format!("{}\n", STANDARD.encode(key)).as_bytes())?;
                Ok(Vault::from_key(&key, &path.display().to_string()))
            }
            Err(e) => Err(e),
        }
    }

    /// `secret` sealed for the setting `name`.
    pub fn seal(&self, name: &str, secret: &str) -> String {
        let mut nonce = [0u8; NONCE_LEN];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let mut sealed = secret.as_bytes().to_vec();
        self.key
            .seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::from(name.as_bytes()), &mut sealed)
            .expect("sealing cannot fail for inputs this small");
        let mut stored = nonce.to_vec();
        stored.extend_from_slice(&sealed);
        format!("{PREFIX}{}", STANDARD.encode(stored))
    }

    /// The secret sealed for `name`. Fails for a value sealed under another key or name.
    pub fn open(&self, name: &str, stored: &str) -> Result<String> {
        let unreadable = || Error::internal(format!("the stored secret {name} cannot be read with this installation's key"));
        let bytes = stored
            .strip_prefix(PREFIX)
            .and_then(|b| STANDARD.decode(b).ok())
            .filter(|b| b.len() > NONCE_LEN)
            .ok_or_else(unreadable)?;
        let (nonce, sealed) = bytes.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| unreadable())?;
        let mut buffer = sealed.to_vec();
        let plain = self
            .key
            .open_in_place(nonce, Aad::from(name.as_bytes()), &mut buffer)
            .map_err(|_| unreadable())?;
        String::from_utf8(plain.to_vec()).map_err(|_| unreadable())
    }
}

fn random_key() -> [u8; KEY_LEN] {
    let mut key = [0u8; KEY_LEN];
    rand::rngs::OsRng.fill_bytes(&mut key);
    key
}

fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_secret_opens_only_with_its_key_and_name() {
        let vault = Vault::random();
        let sealed = vault.seal("gateways.stripe.secret_key", "sk_live_abc");
        assert!(!sealed.contains("sk_live_abc"));
        assert_ne!(
            sealed,
            vault.seal("gateways.stripe.secret_key", "sk_live_abc"),
            "a fresh nonce each time"
        );
        assert_eq!(vault.open("gateways.stripe.secret_key", &sealed).unwrap(), "sk_live_abc");
        assert!(vault.open("gateways.paypal.client_secret", &sealed).is_err());
        assert!(Vault::random().open("gateways.stripe.secret_key", &sealed).is_err());
        let mut tampered = sealed.clone();
        tampered.replace_range(tampered.len() - 3.., "AAA");
        assert!(vault.open("gateways.stripe.secret_key", &tampered).is_err());
        assert!(vault.open("gateways.stripe.secret_key", "sk_live_abc").is_err());
    }

    #[test]
    fn the_key_file_is_created_once_private_and_then_reused() {
        let dir = std::env::temp_dir().join(format!("portico-vault-{}", uuid::Uuid::now_v7()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("secrets.key");
        let first = Vault::open_or_create(&path).unwrap();
        let sealed = first.seal("name", "secret");
        let again = Vault::open_or_create(&path).unwrap();
        assert_eq!(again.open("name", &sealed).unwrap(), "secret");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
        std::fs::write(&path, "not a key").unwrap();
        assert!(Vault::open_or_create(&path).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
