//! Fuzz target: the payload loaders of the QEMU device models. The first
//! byte picks the model, the second is the version, the rest is the payload.

fn main() {
    afl::fuzz!(|data: &[u8]| {
        let [pick, version, payload @ ..] = data else {
            return;
        };
        let models = vmstate::qemu::MODELS;
        let model = &models[usize::from(*pick) % models.len()];
        if let Ok(decoded) = (model.decode)(payload, u32::from(*version)) {
            // What loads must save again and load to the same bytes.
            let again = (model.decode)(
                &decoded.reencoded,
                (model.describe)(payload, u32::from(*version)).map_or(0, |d| d.version),
            )
            .expect("a re-encoded payload loads");
            assert_eq!(again.reencoded, decoded.reencoded);
        }
    });
}
