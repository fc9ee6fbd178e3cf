//! The fuzz targets (`aims::fuzzing`), seeded and bounded: every input that
//! ever crashed a target is replayed (`tests/fuzz-regressions/TARGET/`),
//! then each target runs on mutations of real inputs (the fixtures' files,
//! `tests/fuzz-seeds/`). The mutations are a deterministic function of the
//! seed, so a failure reproduces; `AIMS_FUZZ_ITERATIONS` (default 2,000 per
//! target) and `AIMS_FUZZ_SEED` widen a run. A panic saves its input under
//! `target/fuzz-crashes/` and fails the test: copy it into the regressions.
//! Long runs: `cargo +nightly fuzz run TARGET` in `fuzz/`.

mod common;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use common::*;

/// xorshift64*: small, deterministic, good enough to pick mutations.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

/// Tokens that break parsers in interesting ways.
const TOKENS: &[&[u8]] = &[
    b"\"",
    b"'''",
    b"\"\"\"",
    b"[[",
    b"]]",
    b"[",
    b"]",
    b"=",
    b"\n",
    b"\r\n",
    b"+++",
    b"+++\n",
    b"\xef\xbb\xbf",
    b"\0",
    b"\xff\xfe",
    b"\xc3",
    b"#",
    b"{",
    b"}",
    b",",
    b"\\u",
    b"\\",
    b"..",
    b"1979-05-27T07:32:00Z",
    b"-----BEGIN SSH SIGNATURE-----\n",
    b"-----END SSH SIGNATURE-----\n",
    b"Aims-Document: ",
    b"Aims-Decision: sealed\n",
    b"cert-authority ",
    b"namespaces=\"",
    b"valid-before=\"",
    b"@",
    b"*",
    b"\x1b]52;c;",
    b"\xe2\x80\xae",
    b"\t",
    b"    ",
    b"tagger ",
    b"object ",
    b"NaN",
    b"inf",
    b"-0",
    b"9999999999999999999999",
    b"%",
    b"\x7f",
];

fn mutate(rng: &mut Rng, input: &[u8], other: &[u8]) -> Vec<u8> {
    let mut v = input.to_vec();
    for _ in 0..1 + rng.below(4) {
        let at = rng.below(v.len() + 1);
        match rng.below(9) {
            0 if !v.is_empty() => {
                let i = rng.below(v.len());
                v[i] ^= 1 << rng.below(8);
            }
            1 => v.insert(at, rng.next() as u8),
            2 if !v.is_empty() => {
                let end = (at + 1 + rng.below(64)).min(v.len());
                v.drain(at.min(end)..end);
            }
            3 if !v.is_empty() => {
                let start = rng.below(v.len());
                let end = (start + 1 + rng.below(128)).min(v.len());
                let piece = v[start..end].to_vec();
                v.splice(at..at, piece);
            }
            4 | 5 => {
                let t = TOKENS[rng.below(TOKENS.len())];
                v.splice(at..at, t.iter().copied());
            }
            6 => v.truncate(at),
            7 if !other.is_empty() => {
                let start = rng.below(other.len());
                let end = (start + 1 + rng.below(256)).min(other.len());
                v.splice(at..at, other[start..end].iter().copied());
            }
            _ => {
                // Now and then, a very long line.
                if rng.below(40) == 0 {
                    v.splice(at..at, std::iter::repeat_n(b'x', 70_000));
                }
            }
        }
    }
    v
}

fn files(dir: &Path, ext: &[&str]) -> Vec<Vec<u8>> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .filter(|e| {
            ext.is_empty()
                || e.path()
                    .extension()
                    .is_some_and(|x| ext.iter().any(|w| x == *w))
        })
        .map(|e| std::fs::read(e.path()).unwrap())
        .collect()
}

fn seeds(target: &str) -> Vec<Vec<u8>> {
    let root = project_root();
    let s = root.join("tests/fuzz-seeds");
    let mut v = match target {
        "document" | "diagnostic" => {
            let mut v = files(&root.join("fixtures/well-kept"), &["md"]);
            v.truncate(12);
            v.extend(
                files(&root.join("fixtures/defective"), &["md"])
                    .into_iter()
                    .take(12),
            );
            v.extend(files(&root.join("tests/inputs"), &["md"]));
            v
        }
        "config" => files(&root.join("fixtures"), &["toml"]),
        "allowed-signers" => vec![std::fs::read(s.join("allowed_signers")).unwrap()],
        "tag" => vec![std::fs::read(s.join("tag.txt")).unwrap()],
        "signature" => vec![std::fs::read(s.join("signature.sig")).unwrap()],
        _ => unreachable!("{target}"),
    };
    v.retain(|x| !x.is_empty());
    assert!(!v.is_empty(), "seeds for {target}");
    v
}

/// Runs `f` on `input`; the panic message if it panicked.
fn survives(f: fn(&[u8]), input: &[u8]) -> Result<(), String> {
    catch_unwind(AssertUnwindSafe(|| f(input))).map_err(|e| {
        e.downcast_ref::<String>()
            .cloned()
            .or_else(|| e.downcast_ref::<&str>().map(|s| (*s).to_owned()))
            .unwrap_or_default()
    })
}

fn crash_dir() -> PathBuf {
    project_root().join("target/fuzz-crashes")
}

#[test]
fn every_target_survives_its_regressions_and_seeded_mutations() {
    let iterations: usize = std::env::var("AIMS_FUZZ_ITERATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2_000);
    let seed: u64 = std::env::var("AIMS_FUZZ_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0x421A_2026);
    // Panics are caught and reported below, not printed as they happen.
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let mut crashes = Vec::new();
    let mut replayed = 0;
    for (name, f) in aims::fuzzing::TARGETS {
        let regressions = project_root().join("tests/fuzz-regressions").join(name);
        for input in files(&regressions, &[]) {
            replayed += 1;
            if let Err(e) = survives(*f, &input) {
                crashes.push(format!("{name}: regression input panics again: {e}"));
            }
        }
        let corpus = seeds(name);
        let mut rng = Rng(seed ^ name.len() as u64 ^ 0x9E37_79B9_7F4A_7C15);
        for i in 0..iterations {
            let a = &corpus[rng.below(corpus.len())];
            let b = &corpus[rng.below(corpus.len())];
            let input = mutate(&mut rng, a, b);
            if let Err(e) = survives(*f, &input) {
                std::fs::create_dir_all(crash_dir()).unwrap();
                let path = crash_dir().join(format!("{name}-{i}"));
                std::fs::write(&path, &input).unwrap();
                crashes.push(format!("{name}: {e} (input saved as {})", path.display()));
            }
        }
    }
    std::panic::set_hook(hook);
    assert!(replayed >= 2, "the regression inputs are replayed");
    assert!(crashes.is_empty(), "{}", crashes.join("\n"));
}

/// The harness finds what it is for: a target that panics on a
/// particular byte is caught within the default budget.
#[test]
fn the_harness_catches_a_planted_panic() {
    fn planted(data: &[u8]) {
        assert!(!data.contains(&0xFF), "planted");
    }
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let corpus = seeds("config");
    let mut rng = Rng(7);
    let caught = (0..300).any(|_| {
        let input = mutate(&mut rng, &corpus[0], &corpus[0]);
        survives(planted, &input).is_err()
    });
    std::panic::set_hook(hook);
    assert!(caught);
}

/// `fuzz/` has a cargo-fuzz target for each harness target.
#[test]
fn cargo_fuzz_has_every_target() {
    let manifest = std::fs::read_to_string(project_root().join("fuzz/Cargo.toml")).unwrap();
    for (name, _) in aims::fuzzing::TARGETS {
        let file = format!("fuzz_targets/{}.rs", name.replace('-', "_"));
        assert!(manifest.contains(&format!("name = \"{name}\"")), "{name}");
        let source = std::fs::read_to_string(project_root().join("fuzz").join(&file)).unwrap();
        assert!(
            source.contains(&format!("aims::fuzzing::{}(data)", name.replace('-', "_"))),
            "{file}"
        );
    }
}
