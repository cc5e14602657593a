//! What a staff account must be: an email address that is one, and a
//! password that is long and not one of the passwords everybody tries
//! first. Applied wherever an account is made (the admin API and the admin
//! command), before anything is stored.

use std::collections::HashSet;
use std::sync::OnceLock;

/// Shortest password accepted for a staff account.
pub const MIN_PASSWORD_CHARS: usize = 12;
/// Longest password accepted (argon2 reads all of it).
pub const MAX_PASSWORD_CHARS: usize = 1_000;

fn common() -> &'static HashSet<&'static str> {
    static LIST: OnceLock<HashSet<&'static str>> = OnceLock::new();
    LIST.get_or_init(|| {
        include_str!("../data/common-passwords.txt")
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect()
    })
}

/// Refuses a password a guesser would try early: short, blank, mostly one
/// character, or a common password with digits or symbols around it.
pub fn password(password: &str) -> Result<(), String> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Err(format!(
            "The password is too short; use at least {MIN_PASSWORD_CHARS} characters (a few unrelated words work well)."
        ));
    }
    if chars > MAX_PASSWORD_CHARS {
        return Err(format!(
            "The password is longer than {MAX_PASSWORD_CHARS} characters; choose a shorter one."
        ));
    }
    if password.trim().chars().count() < MIN_PASSWORD_CHARS {
        return Err(format!(
            "The password needs at least {MIN_PASSWORD_CHARS} characters besides spaces at its ends."
        ));
    }
    let distinct: HashSet<char> = password.chars().collect();
    if distinct.len() < 5 {
        return Err(
            "The password repeats too few characters; use a few unrelated words instead.".into(),
        );
    }
    let lower = password.to_lowercase();
    let core = lower.trim_matches(|c: char| !c.is_alphabetic());
    let spaced: String = lower.split_whitespace().collect();
    if [lower.as_str(), core, spaced.as_str()]
        .iter()
        .any(|p| common().contains(p))
    {
        return Err(
            "That password is on the list of the most common passwords, which are tried first; choose another (a few unrelated words work well).".into(),
        );
    }
    Ok(())
}

/// The email address, trimmed and lower-cased, if it is one: a local part
/// and a domain with at least one dot, in letters, digits and the usual
/// punctuation, within the lengths mail systems accept.
pub fn email(text: &str) -> Result<String, String> {
    let email = text.trim().to_lowercase();
    let refuse = || Err("Type the email address in full, like dana@clinic.example.".to_owned());
    if email.len() > 254 {
        return refuse();
    }
    let Some((local, domain)) = email.rsplit_once('@') else {
        return refuse();
    };
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._%+-'".contains(c));
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
        && labels
            .last()
            .is_some_and(|tld| tld.len() >= 2 && tld.chars().all(|c| c.is_ascii_alphabetic()));
    if local_ok && domain_ok {
        Ok(email)
    } else {
        refuse()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weak_passwords_are_refused_with_a_reason() {
        for weak in [
            "short",
            "            ",
            "   padded   ",
            "aaaaaaaaaaaaaaaa",
            "121212121212",
            "password1234",
            "1234password!!",
            "qwertyuiop123",
            "Iloveyou123456",
        ] {
            assert!(password(weak).is_err(), "{weak:?} was accepted");
        }
        assert!(common().len() >= 9_900, "the list holds {}", common().len());
        for strong in [
            "river stone lantern 42",
            "correct horse battery",
            "plaid-otter-sings-7",
        ] {
            assert_eq!(password(strong), Ok(()), "{strong:?}");
        }
    }

    #[test]
    fn emails_are_checked_as_addresses() {
        assert_eq!(
            email("  Dana@Clinic.Example "),
            Ok("dana@clinic.example".into())
        );
        assert!(email("o'neil+iop@mail.clinic.example").is_ok());
        for bad in [
            "@",
            "dana@",
            "@clinic.example",
            "dana@clinic",
            "dana@@clinic.example",
            "dana@clinic..example",
            "da na@clinic.example",
            ".dana@clinic.example",
            "dana@-clinic.example",
            "dana@clinic.example\u{0}",
            "dana@clinic.123",
        ] {
            assert!(email(bad).is_err(), "{bad:?} was accepted");
        }
    }
}
