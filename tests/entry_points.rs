//! The entry points agree with each other: `to_vec` and `to_vec_at` write the
//! bytes that `save_into` and `save_state_at` append to an empty buffer, for
//! fixed-size, subsection-carrying and variable structs; byte buffers in
//! variable arrays load to the same values and fail with the same errors
//! whatever the destination held before, and `load_into` leaves the device
//! untouched on error.

#![allow(
    clippy::cast_possible_truncation,
    clippy::cast_possible_wrap,
    reason = "test patterns wrap small integers on purpose"
)]

use vmstate::{ErrorKind, VmState, VmStateField};

#[derive(VmState, Debug, Default, Clone, Copy, PartialEq)]
#[vmstate(name = "timer", version = 1)]
struct Timer {
    period: u64,
    enabled: bool,
    mode: u8,
}

#[derive(VmState, Debug, Default, Clone, PartialEq)]
#[vmstate(name = "fixed", version = 2, minimum_version = 1)]
struct Fixed {
    id: u32,
    regs: [u32; 8],
    timers: [Timer; 3],
    #[vmstate(since = 2)]
    counter: u64,
}

#[derive(VmState, Debug, Default, Clone, PartialEq)]
#[vmstate(name = "withsub", version = 1)]
struct WithSub {
    level: u16,
    #[subsection(needed = WithSub::extra_needed)]
    extra: WithSubExtra,
}

impl WithSub {
    fn extra_needed(&self) -> bool {
        self.extra.value != 0
    }
}

#[derive(VmState, Debug, Default, Clone, PartialEq)]
#[vmstate(name = "withsub/extra", version = 1)]
struct WithSubExtra {
    value: u64,
}

#[derive(VmState, Debug, Default, Clone, Copy, PartialEq)]
#[repr(u8)]
enum Mode {
    #[default]
    Off = 0,
    On = 1,
}

#[derive(VmState, Debug, Default, Clone, PartialEq)]
#[vmstate(name = "with_enum", version = 1)]
struct WithEnum {
    level: u32,
    mode: Mode,
}

#[derive(VmState, Debug, Default, Clone, PartialEq)]
#[vmstate(name = "with_equal", version = 1)]
struct WithEqual {
    #[vmstate(equal)]
    nr_irqs: u32,
    state: u8,
}

#[derive(VmState, Debug, Default, Clone, PartialEq)]
#[vmstate(name = "hooked", version = 1, post_load = Hooked::post_load)]
struct Hooked {
    value: u32,
}

impl Hooked {
    fn post_load(&mut self, _version_id: u32) -> Result<(), String> {
        if self.value == 0xdead {
            Err("refused".to_owned())
        } else {
            Ok(())
        }
    }
}

#[derive(VmState, Debug, Default, Clone, PartialEq)]
#[vmstate(name = "outer", version = 1)]
struct Outer {
    inner: [Hooked; 2],
    flag: bool,
}

#[derive(VmState, Debug, Default, Clone, PartialEq)]
#[vmstate(name = "bytes", version = 1)]
struct Bytes {
    len: u32,
    #[vmstate(len = len)]
    data: Vec<u8>,
    signed_len: u16,
    #[vmstate(len = signed_len)]
    signed: Vec<i8>,
    tail: u16,
}

fn fixed() -> Fixed {
    Fixed {
        id: 7,
        regs: [1, 2, 3, 4, 5, 6, 7, 0xdead_beef],
        timers: [
            Timer {
                period: 10,
                enabled: true,
                mode: 2,
            },
            Timer::default(),
            Timer {
                period: u64::MAX,
                enabled: false,
                mode: 255,
            },
        ],
        counter: 42,
    }
}

fn bytes(n: usize, seed: u8) -> Bytes {
    let data: Vec<u8> = (0..n).map(|i| (i as u8).wrapping_mul(31) ^ seed).collect();
    let signed: Vec<i8> = (0..n / 2)
        .map(|i| (i as i8).wrapping_sub(seed as i8))
        .collect();
    Bytes {
        len: data.len() as u32,
        data,
        signed_len: signed.len() as u16,
        signed,
        tail: 0xbeef,
    }
}

fn appended<T: VmState>(value: &T) -> Vec<u8> {
    let mut out = Vec::new();
    vmstate::save_into(value, &mut out).unwrap();
    out
}

#[test]
fn to_vec_writes_what_save_into_appends() {
    let f = fixed();
    assert_eq!(vmstate::to_vec(&f).unwrap(), appended(&f));
    let mut s = WithSub {
        level: 3,
        ..WithSub::default()
    };
    assert_eq!(vmstate::to_vec(&s).unwrap(), appended(&s));
    s.extra.value = 9;
    assert_eq!(vmstate::to_vec(&s).unwrap(), appended(&s));
    for n in [0, 1, 100, 70_000] {
        let b = bytes(n, 3);
        assert_eq!(vmstate::to_vec(&b).unwrap(), appended(&b));
    }
}

#[test]
fn to_vec_at_writes_what_save_state_at_appends() {
    let f = fixed();
    for version in [1, 2] {
        let mut out = Vec::new();
        f.save_state_at(&mut out, version).unwrap();
        assert_eq!(vmstate::to_vec_at(&f, version).unwrap(), out);
    }
    assert_eq!(vmstate::to_vec_at(&f, 1).unwrap().len(), 4 + 32 + 3 * 10);
    let err = vmstate::to_vec_at(&f, 3).unwrap_err();
    let mut out = Vec::new();
    let direct = f.save_state_at(&mut out, 3).unwrap_err();
    assert_eq!(
        err.to_string(),
        direct.in_section(Fixed::NAME, None).to_string()
    );
}

#[test]
fn to_vec_reserves_the_exact_size_of_a_fixed_struct() {
    let out = vmstate::to_vec(&fixed()).unwrap();
    assert_eq!(out.len(), 4 + 32 + 3 * 10 + 8);
    assert_eq!(out.capacity(), out.len());
}

#[test]
fn byte_arrays_load_the_same_whatever_the_destination_held() {
    for n in [0, 1, 5, 4096] {
        let value = bytes(n, 1);
        let payload = vmstate::to_vec(&value).unwrap();
        let fresh: Bytes = vmstate::from_slice(&payload, 1).unwrap();
        assert_eq!(fresh, value);
        // Longer, shorter and equal buffers before the load.
        for before in [0, 1, n, n + 3, 2 * n + 100] {
            let mut device = bytes(before, 9);
            vmstate::load_into(&mut device, &payload, 1).unwrap();
            assert_eq!(device, value, "{before} bytes before, {n} loaded");
            let mut raw = bytes(before, 9);
            let mut reader = vmstate::Reader::new(&payload);
            raw.load_state(&mut reader, 1).unwrap();
            reader.finish().unwrap();
            assert_eq!(raw, value);
        }
    }
}

#[test]
fn a_truncated_byte_array_is_refused_and_leaves_the_device_untouched() {
    let value = bytes(64, 1);
    let payload = vmstate::to_vec(&value).unwrap();
    let errors: Vec<String> = [3, 4, 10, 67, 68, 69, payload.len() - 1]
        .into_iter()
        .map(|cut| {
            let before = bytes(5, 7);
            let mut device = before.clone();
            let err = vmstate::load_into(&mut device, &payload[..cut], 1).unwrap_err();
            assert_eq!(device, before, "cut at {cut}: the device changed");
            let from_slice = vmstate::from_slice::<Bytes>(&payload[..cut], 1).unwrap_err();
            assert_eq!(err.to_string(), from_slice.to_string());
            err.to_string()
        })
        .collect();
    // A count that the input cannot hold is refused before any byte moves,
    // naming the count and the bytes that are left.
    let mut device = bytes(5, 7);
    let err = vmstate::load_into(&mut device, &payload[..10], 1).unwrap_err();
    assert!(
        matches!(
            err.kind(),
            Some(ErrorKind::InvalidLength { count: 64, max: 6 })
        ),
        "{err}"
    );
    assert_eq!(err.offset(), Some(4));
    assert_eq!(errors.len(), 7);
    for e in &errors {
        println!("{e}");
    }
}

#[test]
fn only_loads_that_copy_bits_are_infallible() {
    const {
        assert!(Timer::LOAD_INFALLIBLE);
        assert!(Fixed::LOAD_INFALLIBLE);
        assert!(<[Timer; 4]>::LOAD_INFALLIBLE);
        // Each of these can refuse an input of the right size.
        assert!(!Mode::LOAD_INFALLIBLE);
        assert!(!WithEnum::LOAD_INFALLIBLE);
        assert!(!WithEqual::LOAD_INFALLIBLE);
        assert!(!Hooked::LOAD_INFALLIBLE);
        assert!(!Outer::LOAD_INFALLIBLE);
        assert!(!WithSub::LOAD_INFALLIBLE);
        // Its counts are read from the payload before the load.
        assert!(Bytes::LOAD_INFALLIBLE);
    }
}

/// Deterministic bytes for property checks.
fn pattern(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

#[test]
fn an_infallible_device_loaded_in_place_equals_a_fresh_load() {
    let size = Fixed::SCHEMA.fixed_size().unwrap();
    for seed in 0..200 {
        let payload = pattern(size, seed);
        let fresh: Fixed = vmstate::from_slice(&payload, Fixed::VERSION).unwrap();
        let mut device = fixed();
        vmstate::load_into(&mut device, &payload, Fixed::VERSION).unwrap();
        assert_eq!(device, fresh, "seed {seed}");
        assert_eq!(
            vmstate::to_vec(&device).unwrap(),
            payload_normalised(&payload)
        );
    }
}

/// What a `Fixed` saves after loading `payload`: the same bytes, except that
/// a `bool` byte reads back as 0 or 1.
fn payload_normalised(payload: &[u8]) -> Vec<u8> {
    let mut out = payload.to_vec();
    for timer in 0..3 {
        let flag = &mut out[4 + 32 + timer * 10 + 8];
        *flag = u8::from(*flag != 0);
    }
    out
}

#[test]
fn an_infallible_device_keeps_its_state_and_errors_on_any_other_input() {
    let size = Fixed::SCHEMA.fixed_size().unwrap();
    let good = vmstate::to_vec(&fixed()).unwrap();
    let mut cases: Vec<(Vec<u8>, u32)> = Vec::new();
    for len in [0, 1, size - 1, size + 1, size + 2, size + 40] {
        cases.push((pattern(len, len as u64), Fixed::VERSION));
    }
    // A subsection header after the fields, and an older or unknown version.
    let mut with_sub = good.clone();
    with_sub.extend([5, 9]);
    with_sub.extend(b"fixed/sub");
    with_sub.extend(1u32.to_be_bytes());
    cases.push((with_sub, Fixed::VERSION));
    cases.push((good.clone(), 3));
    cases.push((good[..size - 8].to_vec(), 0));
    for (payload, version) in cases {
        let before = Fixed { id: 99, ..fixed() };
        let mut device = before.clone();
        let err = vmstate::load_into(&mut device, &payload, version).unwrap_err();
        assert_eq!(
            device,
            before,
            "{} bytes at v{version}: the device changed",
            payload.len()
        );
        let fresh = vmstate::from_slice::<Fixed>(&payload, version).unwrap_err();
        assert_eq!(err.to_string(), fresh.to_string());
    }
    // The older version's exact size loads through the staged path.
    let mut device = fixed();
    vmstate::load_into(&mut device, &good[..size - 8], 1).unwrap();
    assert_eq!(
        device.counter,
        fixed().counter,
        "a field absent at v1 keeps its value"
    );
}

#[test]
fn a_failing_hook_in_a_fixed_size_device_leaves_it_untouched() {
    let bad = Outer {
        inner: [Hooked { value: 1 }, Hooked { value: 0xdead }],
        flag: true,
    };
    let payload = vmstate::to_vec(&bad).unwrap();
    assert_eq!(Some(payload.len()), Outer::SCHEMA.fixed_size());
    let before = Outer::default();
    let mut device = before.clone();
    assert!(vmstate::load_into(&mut device, &payload, 1).is_err());
    assert_eq!(device, before);
}

#[derive(VmState, Debug, Default, Clone, PartialEq)]
#[vmstate(name = "signed_count", version = 1)]
struct SignedCount {
    n: i32,
    #[vmstate(len = n)]
    items: Vec<Timer>,
    tail: u8,
}

#[test]
fn payload_len_is_what_the_load_reads() {
    for n in [0, 1, 7, 300] {
        let value = bytes(n, 5);
        let payload = vmstate::to_vec(&value).unwrap();
        assert_eq!(Bytes::SCHEMA.payload_len(&payload), Some(payload.len()));
        // Longer input: the length is still the payload's, so `load_into`
        // goes the staged way and refuses the extra bytes.
        let mut longer = payload.clone();
        longer.push(0);
        assert_eq!(Bytes::SCHEMA.payload_len(&longer), Some(payload.len()));
    }
    let value = SignedCount {
        n: 2,
        items: vec![Timer::default(); 2],
        tail: 1,
    };
    let payload = vmstate::to_vec(&value).unwrap();
    const { assert!(SignedCount::LOAD_INFALLIBLE) };
    assert_eq!(SignedCount::SCHEMA.payload_len(&payload), Some(4 + 20 + 1));
    let mut negative = payload.clone();
    negative[..4].copy_from_slice(&(-1i32).to_be_bytes());
    assert_eq!(SignedCount::SCHEMA.payload_len(&negative), None);
    let mut device = value.clone();
    let err = vmstate::load_into(&mut device, &negative, 1).unwrap_err();
    assert_eq!(device, value);
    assert_eq!(
        err.to_string(),
        vmstate::from_slice::<SignedCount>(&negative, 1)
            .unwrap_err()
            .to_string()
    );
}

/// Any input whose length the schema confirms loads in place to what a
/// fresh load gives; any other input leaves the device as it was, with the
/// fresh load's error.
#[test]
fn variable_devices_load_in_place_only_when_the_load_cannot_fail() {
    let mut in_place = 0;
    for seed in 0..3000u64 {
        let len = usize::try_from(seed % 64).unwrap();
        let mut payload = pattern(len, seed);
        // Small counts, so that many inputs have the confirmed length.
        if payload.len() >= 4 {
            payload[..3].fill(0);
            payload[3] %= 8;
            let at = 4 + usize::from(payload[3]);
            if payload.len() >= at + 2 && seed % 2 == 0 {
                payload[at] = 0;
                payload[at + 1] %= 4;
                if seed % 4 == 0 {
                    // Exactly the confirmed length.
                    payload.resize(at + 2 + usize::from(payload[at + 1]) + 2, 0xa5);
                }
            }
        }
        let before = bytes(3, 9);
        let mut device = before.clone();
        let fresh = vmstate::from_slice::<Bytes>(&payload, 1);
        match vmstate::load_into(&mut device, &payload, 1) {
            Ok(()) => {
                assert_eq!(device, fresh.expect("a fresh load accepts it too"));
                if Bytes::SCHEMA.payload_len(&payload) == Some(payload.len()) {
                    in_place += 1;
                }
            }
            Err(err) => {
                assert_eq!(device, before, "seed {seed}: the device changed");
                assert_eq!(err.to_string(), fresh.unwrap_err().to_string());
                assert_ne!(Bytes::SCHEMA.payload_len(&payload), Some(payload.len()));
            }
        }
    }
    assert!(
        in_place > 100,
        "only {in_place} inputs took the in-place path"
    );
}
