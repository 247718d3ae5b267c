//! libFuzzer target: `locus_core::fuzz::media` (see there for what it reads).
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    locus_core::fuzz::media(data);
});
