//! A pairing code's shape, the one rule the dashboard's codes, the server
//! and the app (typed, or read from a `steady://pair` link) share.
//!
//! The last of a code's ten characters is a check character: with the
//! alphabet's 31 characters as the numbers 0 to 30, the sum of each
//! character times its position (1 to 10) is a multiple of 31. As 31 is
//! prime, a code with one character mistyped, or two swapped, never passes:
//! the app says "typo" before asking the server, and the server's "expired
//! or already used" is left for a code that was really handed out.

/// Letters and digits that cannot be mistaken for one another (no 0/O, 1/I/L).
pub const CODE_ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
/// Characters in a pairing code, the last a check character: 31^9 codes,
/// about 2^44.6.
pub const CODE_LENGTH: usize = 10;

/// A code of the right form for examples and hints ("ABCDE-FGH2K").
pub const EXAMPLE_CODE: &str = "ABCDE-FGH2K";

/// What is wrong with a code as typed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CodeProblem {
    /// Not ten letters and digits of the alphabet.
    Shape,
    /// The right shape, but a character is mistyped or two are swapped.
    Typo,
}

impl CodeProblem {
    /// The words the app and the server answer with.
    pub fn words(self) -> &'static str {
        match self {
            CodeProblem::Shape => {
                "A pairing code is 10 letters and digits, like ABCDE-FGH2K; check the code your counselor gave you."
            }
            CodeProblem::Typo => {
                "That code has a typo: a letter or digit differs from the code your counselor gave you. Check each one and type it again."
            }
        }
    }
}

fn value(c: u8) -> Option<usize> {
    CODE_ALPHABET.iter().position(|&a| a == c)
}

/// The sum the check character makes a multiple of 31.
fn weighted(code: &[u8]) -> usize {
    code.iter()
        .enumerate()
        .map(|(i, &c)| (i + 1) * value(c).unwrap_or(0))
        .sum()
}

/// A new code from nine characters drawn by `pick` (each an index below
/// 31), with its check character.
pub fn new_code(mut pick: impl FnMut() -> usize) -> String {
    let n = CODE_ALPHABET.len();
    let mut code: Vec<u8> = (0..CODE_LENGTH - 1)
        .map(|_| CODE_ALPHABET[pick() % n])
        .collect();
    // 10 (the last position's weight) times 28 is 1, modulo 31.
    let check = (n - weighted(&code) % n) * 28 % n;
    code.push(CODE_ALPHABET[check]);
    String::from_utf8(code).expect("the alphabet is ASCII")
}

/// The normalized code if it is one that could have been handed out; what
/// is wrong with it otherwise.
pub fn read_code(code: &str) -> Result<String, CodeProblem> {
    let code = shaped_code(code).ok_or(CodeProblem::Shape)?;
    if !weighted(code.as_bytes()).is_multiple_of(CODE_ALPHABET.len()) {
        return Err(CodeProblem::Typo);
    }
    Ok(code)
}

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
    fn every_single_mistype_and_every_swap_is_a_typo() {
        // A fixed walk through the alphabet stands in for the random draws.
        let mut state = 7usize;
        for _ in 0..300 {
            let code = new_code(|| {
                state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
                state >> 16
            });
            assert_eq!(read_code(&code).as_deref(), Ok(code.as_str()));
            let bytes = code.as_bytes();
            for i in 0..CODE_LENGTH {
                for &other in CODE_ALPHABET.iter().filter(|&&c| c != bytes[i]) {
                    let mut typo = bytes.to_vec();
                    typo[i] = other;
                    let typo = String::from_utf8(typo).unwrap();
                    assert_eq!(read_code(&typo), Err(CodeProblem::Typo), "{code} -> {typo}");
                }
                for j in i + 1..CODE_LENGTH {
                    if bytes[i] != bytes[j] {
                        let mut swapped = bytes.to_vec();
                        swapped.swap(i, j);
                        let swapped = String::from_utf8(swapped).unwrap();
                        assert_eq!(
                            read_code(&swapped),
                            Err(CodeProblem::Typo),
                            "{code} -> {swapped}"
                        );
                    }
                }
            }
        }
        assert_eq!(read_code(EXAMPLE_CODE).as_deref(), Ok("ABCDEFGH2K"));
        assert_eq!(read_code("ABCDE-FGH2"), Err(CodeProblem::Shape));
    }

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
