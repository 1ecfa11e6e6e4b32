//! Fuzz target: EPMD requests (as the embedded server reads them) and responses (as the client reads them).
#![no_main]

use erlnode::proto::epmd;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(Some((_, used))) = epmd::decode_request(data) {
        assert!(used <= data.len());
    }
    let _ = data.get(2..).map(epmd::decode_request_body);
    if let Ok(Some((_, used))) = epmd::decode_alive2_resp(data) {
        assert!(used <= data.len());
    }
    if let Ok(Some((_, used))) = epmd::decode_port2_resp(data) {
        assert!(used <= data.len());
    }
    let _ = epmd::decode_names_resp(data);
});
