//! Passwords and tokens. Passwords are hashed with argon2id at OWASP's
//! recommended cost (19 MiB of memory, 2 passes, 1 lane); tokens are 256
//! random bits, handed out once and stored only as their SHA-256.

use argon2::password_hash::{self, Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use rand::RngCore;
use sha2::{Digest, Sha256};

fn params() -> Params {
    // OWASP Password Storage Cheat Sheet: m=19456 KiB, t=2, p=1.
    Params::new(19 * 1024, 2, 1, None).expect("constant argon2 parameters are valid")
}

thread_local! {
    /// Each thread's argon2 working memory, kept between runs: allocated
    /// afresh each time, 19 MiB blocks fragment the allocator until a few
    /// dozen sign-ins hold hundreds of MiB.
    static BLOCKS: std::cell::RefCell<Vec<Block>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Runs argon2 with this thread's kept memory.
fn argon2_into(
    argon2: &Argon2<'_>,
    params: &Params,
    password: &[u8],
    salt: &[u8],
    out: &mut [u8],
) -> bool {
    BLOCKS.with(|blocks| {
        let mut blocks = blocks.borrow_mut();
        if blocks.len() < params.block_count() {
            blocks.resize(params.block_count(), Block::default());
        }
        argon2
            .hash_password_into_with_memory(password, salt, out, &mut blocks[..])
            .is_ok()
    })
}

/// The PHC string of `password`, with a fresh salt.
pub fn hash_password(password: &str) -> Result<String, String> {
    crate::rules::password(password)?;
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let salt_string = SaltString::encode_b64(&salt).map_err(|e| e.to_string())?;
    let params = params();
    let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    let output = Output::init_with(Params::DEFAULT_OUTPUT_LEN, |out| {
        if argon2_into(&argon2, &params, password.as_bytes(), &salt, out) {
            Ok(())
        } else {
            Err(password_hash::Error::Password)
        }
    })
    .map_err(|e| e.to_string())?;
    let hash = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params).map_err(|e| e.to_string())?,
        salt: Some(salt_string.as_salt()),
        hash: Some(output),
    };
    Ok(hash.to_string())
}

/// Whether `password` matches the stored PHC string (argon2, at no more
/// than this server's memory cost).
pub fn verify_password(password: &str, stored: &str) -> bool {
    let Ok(hash) = PasswordHash::new(stored) else {
        return false;
    };
    let (Some(salt), Some(expected)) = (hash.salt, hash.hash) else {
        return false;
    };
    let (Ok(stored_params), Ok(algorithm)) =
        (Params::try_from(&hash), Algorithm::try_from(hash.algorithm))
    else {
        return false;
    };
    let version = match hash.version.map(Version::try_from).transpose() {
        Ok(version) => version.unwrap_or_default(),
        Err(_) => return false,
    };
    // A hash costing more memory than this server's is not one it made.
    if stored_params.m_cost() > params().m_cost() {
        return false;
    }
    let mut salt_buf = [0u8; 64];
    let Ok(salt) = salt.decode_b64(&mut salt_buf) else {
        return false;
    };
    let mut out = vec![0u8; expected.len()];
    let argon2 = Argon2::new(algorithm, version, stored_params.clone());
    // Output's equality is constant-time.
    argon2_into(&argon2, &stored_params, password.as_bytes(), salt, &mut out)
        && Output::new(&out).is_ok_and(|o| o == expected)
}

/// A hash to verify against when the account does not exist, so a wrong
/// email costs as long as a wrong password.
pub fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| {
        hash_password("not a real password, only for timing").expect("a long constant password")
    })
}

/// The server's own secret: the key of the keyed hashes (HMAC-SHA256) it
/// stores short secrets as — pairing codes, which are short enough to guess
/// offline from a plain hash, and CSRF tokens. Made at first start as 32
/// random bytes in a file only the server's user can read (0600); every
/// instance of one clinic's server must be given the same file.
pub struct ServerKey([u8; 32]);

impl ServerKey {
    /// The key in `path`, made there first if the file does not exist.
    pub fn load_or_create(path: &std::path::Path) -> Result<Self, String> {
        use std::io::{Read, Write};
        let shown = path.display();
        if let Some(dir) = path.parent()
            && !dir.as_os_str().is_empty()
            && !dir.exists()
        {
            private_dir(dir).map_err(|e| format!("cannot create the folder for {shown}: {e}"))?;
        }
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        match options.open(path) {
            Ok(mut file) => {
                let mut key = [0u8; 32];
                rand::rng().fill_bytes(&mut key);
                file.write_all(hex::encode(key).as_bytes())
                    .and_then(|()| file.sync_all())
                    .map_err(|e| format!("cannot write the server key {shown}: {e}"))?;
                tracing::info!(path = %shown, "made a new server key");
                return Ok(Self(key));
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(format!("cannot create the server key {shown}: {e}")),
        }
        let mut text = String::new();
        std::fs::File::open(path)
            .and_then(|mut f| f.read_to_string(&mut text))
            .map_err(|e| format!("cannot read the server key {shown}: {e}"))?;
        let bytes = hex::decode(text.trim())
            .ok()
            .and_then(|b| <[u8; 32]>::try_from(b).ok())
            .ok_or_else(|| {
                format!("{shown} is not a server key (64 hex characters); restore it from backup, or remove it to make a new one (pairing codes and sessions then start again)")
            })?;
        Ok(Self(bytes))
    }

    /// The keyed hash of `value` for `purpose` (each purpose hashes apart), in hex.
    pub fn hash(&self, purpose: &str, value: &str) -> String {
        use hmac::Mac;
        let mut mac =
            hmac::Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes a key of any length");
        mac.update(purpose.as_bytes());
        mac.update(&[0]);
        mac.update(value.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }
}

/// The keyed hash's purpose for pairing codes.
pub const PAIRING_CODE: &str = "pairing-code";
/// The keyed hash's purpose for the CSRF token a session's cookie derives.
pub const CSRF_TOKEN: &str = "csrf-token";
/// The keyed hash's purpose for a CSRF token as stored.
pub const CSRF_STORED: &str = "csrf-stored";

/// Makes `dir` (and its parents) readable by this user only (0700).
pub fn private_dir(dir: &std::path::Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// A new random token: 32 bytes as 64 hex characters.
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// How a token is stored: its SHA-256, in hex.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_argon2id_with_owasp_parameters() {
        let hash = hash_password("correct horse battery").unwrap();
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert!(verify_password("correct horse battery", &hash));
        assert!(!verify_password("correct horse battery!", &hash));
        assert!(!verify_password("anything", "not a hash"));
        assert!(hash_password("short").unwrap_err().contains("at least 12"));
    }

    #[test]
    fn tokens_are_256_bits_and_stored_hashed() {
        let a = new_token();
        assert_eq!(a.len(), 64);
        assert_ne!(a, new_token());
        assert_eq!(token_hash(&a).len(), 64);
        assert_ne!(token_hash(&a), a);
    }
}
