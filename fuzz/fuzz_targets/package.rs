//! libFuzzer target: `locus_core::fuzz::package` (see there for what it reads).
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    locus_core::fuzz::package(data);
});
