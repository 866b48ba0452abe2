//! Corpus replay, the proptest runner, and what every property shares.

use std::fmt::Debug;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use aliyun_connectors::config::secrets_of;
use aliyun_connectors::error::Envelope;
use aliyun_connectors::{Error, Kind};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestError, TestRunner};
use serde_json::Value;

/// Recognisable secrets: searched for in everything the core answers.
pub const SECRET: &str = "SECRET-7f3a9c1e5b2d4086";
pub const TOKEN: &str = "TOKEN-c4e8a2b6d0f19375";

/// Every code the core may hand to Logto.
pub const LOGTO_CODES: [&str; 7] = [
    "invalid_config",
    "template_not_found",
    "invalid_response",
    "rate_limit_exceeded",
    "usage_limit_exceeded",
    "invalid_request_parameters",
    "general",
];

pub fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|text| text.trim().parse().ok())
        .filter(|&n: &u32| n > 0)
        .unwrap_or(256)
}

pub fn runner() -> TestRunner {
    TestRunner::new(Config {
        cases: cases(),
        // No regression files next to the sources: failures go to tests/corpus by hand.
        failure_persistence: None,
        ..Config::default()
    })
}

/// Written straight to stderr, so it shows even though the test harness captures output.
pub fn say(line: &str) {
    let _ = writeln!(std::io::stderr(), "{line}");
}

pub fn corpus_dir(target: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("corpus")
        .join(target)
}

/// The corpus inputs of one target, sorted by file name.
pub fn corpus(target: &str) -> Vec<(String, Value)> {
    let dir = corpus_dir(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|entry| entry.path())
                .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let value = serde_json::from_str(&text)
                .unwrap_or_else(|e| panic!("{}: not JSON: {e}", path.display()));
            (
                path.file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default(),
                value,
            )
        })
        .collect()
}

/// Replays the corpus of `target`, then runs the property; prints the figures.
pub fn property<S>(
    name: &str,
    target: &str,
    replay: impl Fn(&Value) -> Result<(), TestCaseError>,
    strategy: S,
    check: impl Fn(S::Value) -> Result<(), TestCaseError>,
) where
    S: Strategy,
    S::Value: Debug,
{
    let started = Instant::now();
    let inputs = corpus(target);
    for (file, input) in &inputs {
        if let Err(error) = replay(input) {
            panic!("{name}: corpus input tests/corpus/{target}/{file} fails: {error}");
        }
    }
    let generated = AtomicU64::new(0);
    let result = runner().run(&strategy, |value| {
        generated.fetch_add(1, Ordering::Relaxed);
        check(value)
    });
    let elapsed = started.elapsed().as_millis();
    say(&format!(
        "[proptest] {name}: {} corpus inputs + {} generated cases in {elapsed} ms",
        inputs.len(),
        generated.load(Ordering::Relaxed)
    ));
    match result {
        Ok(()) => {}
        Err(TestError::Fail(reason, value)) => {
            panic!("{name}: {reason}\nminimal failing input (add it to tests/corpus/{target}/): {value:#?}")
        }
        Err(TestError::Abort(reason)) => panic!("{name}: aborted: {reason}"),
    }
}

pub fn kind_of(value: &Value) -> Kind {
    match value.get("kind").and_then(Value::as_str) {
        Some("aliyun-sms") => Kind::Sms,
        _ => Kind::Dm,
    }
}

pub fn fail(message: String) -> TestCaseError {
    TestCaseError::fail(message)
}

/// An answer's body as the boundary reads it.
pub fn body_of(text: &str) -> aliyun_connectors::transport::Body {
    use aliyun_connectors::pop::response::MAX_ANSWER_BYTES;
    aliyun_connectors::transport::Body::read(text.to_string(), MAX_ANSWER_BYTES)
}

/// What the boundary returns for an error: the envelope with the input's credentials redacted.
pub fn boundary_error(error: Error, input: &Value) -> String {
    let config = input.get("config").unwrap_or(input);
    serde_json::to_string(&Envelope::<()>::of(Err(error), &secrets_of(config))).unwrap()
}
