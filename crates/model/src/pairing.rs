//! A pairing code's shape, the one rule the dashboard's codes, the server
//! and the app (reading a `steady://pair` link) share.

/// Letters and digits that cannot be mistaken for one another (no 0/O, 1/I/L).
pub const CODE_ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
/// Characters in a pairing code: 31^10, about 2^49.5 codes.
pub const CODE_LENGTH: usize = 10;

/// The code as typed, without spaces or dashes, in capitals.
pub fn normalize_code(code: &str) -> String {
    code.chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// The normalized code, if it has a code's shape: [`CODE_LENGTH`] characters
/// of [`CODE_ALPHABET`].
pub fn shaped_code(code: &str) -> Option<String> {
    let code = normalize_code(code);
    (code.len() == CODE_LENGTH && code.bytes().all(|b| CODE_ALPHABET.contains(&b))).then_some(code)
}

/// How the dashboard shows a code: "ABCDE-FGH23".
pub fn display_code(code: &str) -> String {
    let code = normalize_code(code);
    if code.len() == CODE_LENGTH {
        format!("{}-{}", &code[..5], &code[5..])
    } else {
        code
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_is_read_however_it_is_typed_and_only_in_its_alphabet() {
        assert_eq!(shaped_code(" abcde-fgh23 ").as_deref(), Some("ABCDEFGH23"));
        assert_eq!(shaped_code("ABCDE FGH23").as_deref(), Some("ABCDEFGH23"));
        // 0, O, 1, I and L are not in it; nor is a code one short or long.
        for bad in [
            "ABCDE-FGH20",
            "ABCDE-FGHI3",
            "ABCDE-FGH2",
            "ABCDE-FGH234",
            "ÄBCDE-FGH23",
            "",
        ] {
            assert_eq!(shaped_code(bad), None, "{bad}");
        }
        assert_eq!(display_code("abcdefgh23"), "ABCDE-FGH23");
    }
}
