#![no_main]

use libfuzzer_sys::fuzz_target;

// The same checks run on stable in tests/fuzz_corpus.rs, over the committed corpus.
#[path = "../../tests/fuzz_checks/mod.rs"]
mod checks;

fuzz_target!(|data: &[u8]| checks::check_intake(data));
