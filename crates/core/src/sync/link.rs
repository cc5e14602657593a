//! A pairing link: `steady://pair?server=<address>&code=<code>`, what the
//! dashboard's QR code holds and what opening it hands the app. A link can
//! come from anywhere, so it is read as hostile: the address passes the same
//! check as one typed in Settings, the code has a code's shape, and nothing
//! else is accepted. It only fills the form; the patient still reads the
//! consent and agrees.

use serde::Serialize;
use ts_rs::TS;

use super::{SyncError, server_url};

/// The scheme Steady registers for its links.
pub const SCHEME: &str = "steady";

/// What a pairing link asks: the clinic's address and a code, checked.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
pub struct PairLink {
    pub server: String,
    /// "ABCDE-FGH2K".
    pub code: String,
}

impl PairLink {
    /// Reads a link; what is wrong with it in words if it is not one.
    pub fn parse(link: &str) -> Result<PairLink, SyncError> {
        let bad =
            |why: &str| SyncError::BadServer(format!("This is not a Steady pairing link: {why}."));
        if link.len() > 2_000 {
            return Err(bad("it is far too long"));
        }
        let url = reqwest::Url::parse(link.trim()).map_err(|_| bad("it is not a link"))?;
        if url.scheme() != SCHEME {
            return Err(bad("it does not start with steady://"));
        }
        // `steady://pair?…` puts "pair" where a host goes; `steady:pair?…`
        // in the path. Either names the one thing a link may ask.
        let target = url.host_str().unwrap_or_else(|| url.path());
        if target != "pair" || (url.host_str().is_some() && !matches!(url.path(), "" | "/")) {
            return Err(bad("it asks for something other than pairing"));
        }
        if url.fragment().is_some() || url.username() != "" || url.password().is_some() {
            return Err(bad("it carries more than an address and a code"));
        }
        let (mut server, mut code) = (None, None);
        for (key, value) in url.query_pairs() {
            let slot = match key.as_ref() {
                "server" => &mut server,
                "code" => &mut code,
                _ => return Err(bad("it carries more than an address and a code")),
            };
            if slot.replace(value.into_owned()).is_some() {
                return Err(bad("it names the address or the code twice"));
            }
        }
        let (Some(server), Some(code)) = (server, code) else {
            return Err(bad("it lacks the clinic's address or the code"));
        };
        let server = server_url(&server)?;
        let code = steady_model::pairing::read_code(&code).map_err(|problem| match problem {
            steady_model::pairing::CodeProblem::Shape => {
                bad("its code is not 10 letters and digits")
            }
            steady_model::pairing::CodeProblem::Typo => bad("its code has a typo"),
        })?;
        Ok(PairLink {
            server,
            code: steady_model::pairing::display_code(&code),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dashboards_link_fills_the_address_and_the_code() {
        let link = PairLink::parse(
            "steady://pair?server=https%3A%2F%2Fsteady.clinic.example&code=abcde-fgh2k",
        )
        .unwrap();
        assert_eq!(
            link,
            PairLink {
                server: "https://steady.clinic.example".into(),
                code: "ABCDE-FGH2K".into(),
            }
        );
        // The loopback server `cargo xtask server` runs is allowed, as typed.
        let local =
            PairLink::parse("steady://pair?server=http://127.0.0.1:8380&code=ABCDEFGH2K").unwrap();
        assert_eq!(local.server, "http://127.0.0.1:8380");
        assert_eq!(
            PairLink::parse("steady:pair?code=ABCDEFGH2K&server=https://a.example")
                .unwrap()
                .server,
            "https://a.example"
        );
    }

    #[test]
    fn anything_else_is_refused_in_words() {
        for (link, words) in [
            (
                "https://pair?server=https://a.example&code=ABCDEFGH2K",
                "steady://",
            ),
            (
                "steady://pay?server=https://a.example&code=ABCDEFGH2K",
                "other than pairing",
            ),
            (
                "steady://pair/now?server=https://a.example&code=ABCDEFGH2K",
                "other than pairing",
            ),
            ("steady://pair?server=https://a.example", "lacks"),
            ("steady://pair?code=ABCDEFGH2K", "lacks"),
            (
                "steady://pair?server=https://a.example&code=ABCDEFGH2K&token=x",
                "more than",
            ),
            (
                "steady://pair?server=https://a.example&code=ABCDEFGH2K#x",
                "more than",
            ),
            (
                "steady://pair?server=https://a.example&server=https://b.example&code=ABCDEFGH2K",
                "twice",
            ),
            (
                "steady://pair?server=https://a.example&code=ABCDE-FGH2O",
                "10 letters",
            ),
            (
                "steady://pair?server=http://clinic.example&code=ABCDEFGH2K",
                "https://",
            ),
            (
                "steady://pair?server=javascript:alert(1)&code=ABCDEFGH2K",
                "https://",
            ),
            ("not a link", "not a link"),
        ] {
            let e = PairLink::parse(link).unwrap_err().to_string();
            assert!(e.contains(words), "{link}: {e}");
        }
        let long = format!(
            "steady://pair?server=https://a.example&code={}",
            "A".repeat(3000)
        );
        assert!(
            PairLink::parse(&long)
                .unwrap_err()
                .to_string()
                .contains("too long")
        );
    }
}
