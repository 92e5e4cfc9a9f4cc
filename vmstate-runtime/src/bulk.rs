//! Bulk conversion of large integer arrays between native values and QEMU's
//! big-endian wire bytes.
//!
//! The baseline x86-64 target has no byte-shuffle instruction (SSSE3's
//! `pshufb` is not in it), so LLVM byte-swaps one integer at a time, several
//! times slower than a copy (docs/performance.md has the figures).
//! Compiled for AVX2, the same safe loops swap 32 bytes per instruction and
//! run at copy speed. Which copy runs is decided at run time, once per array:
//! `is_x86_feature_detected!` caches what the CPU has, so the test is a load
//! and a branch.
//!
//! This is the runtime's only `unsafe`: calling a `#[target_feature]`
//! function, which is sound exactly when the CPU has the feature.

/// Bytes converted per block when saving: the block lives on the stack, in L1,
/// and is appended to the output in one copy. Writing the output through
/// `Vec::extend` instead does not vectorize.
const BLOCK: usize = 1024;

/// A fixed-width integer that converts in bulk.
pub(crate) trait BulkInt: Sized {
    /// Appends the big-endian bytes of `items` to `out`, with the fastest copy
    /// of [`save_portable`](Self::save_portable) this CPU runs.
    fn save_bulk(items: &[Self], out: &mut Vec<u8>);

    /// Overwrites `items` from `bytes`, which holds exactly their big-endian
    /// encodings, with the fastest copy of
    /// [`load_portable`](Self::load_portable) this CPU runs.
    fn load_bulk(items: &mut [Self], bytes: &[u8]);

    /// The conversion loop of `save_bulk`, for the target's baseline.
    fn save_portable(items: &[Self], out: &mut Vec<u8>);

    /// The conversion loop of `load_bulk`, for the target's baseline.
    fn load_portable(items: &mut [Self], bytes: &[u8]);
}

/// Calls `$portable` in the copy compiled for AVX2 when the CPU has AVX2, else
/// in the one compiled for the target's baseline.
macro_rules! fastest {
    ($portable:expr, ($($arg:ident: $arg_ty:ty),*)) => {{
        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = "avx2")]
        fn avx2($($arg: $arg_ty),*) {
            $portable($($arg),*);
        }

        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            #[allow(unsafe_code, reason = "AVX2 dispatch, measured in docs/performance.md")]
            // SAFETY: `avx2` needs nothing but the AVX2 instructions, and the
            // CPU has them: checked just above.
            unsafe { avx2($($arg),*) };
            return;
        }
        $portable($($arg),*);
    }};
}

macro_rules! bulk_ints {
    ($($ty:ty),*) => {$(
        impl BulkInt for $ty {
            // Not inlined: the arrays are large, and the callers' small-array
            // paths stay small enough to inline everywhere.
            fn save_bulk(items: &[Self], out: &mut Vec<u8>) {
                fastest!(<$ty>::save_portable, (items: &[$ty], out: &mut Vec<u8>));
            }

            fn load_bulk(items: &mut [Self], bytes: &[u8]) {
                fastest!(<$ty>::load_portable, (items: &mut [$ty], bytes: &[u8]));
            }

            #[inline(always)]
            fn save_portable(items: &[Self], out: &mut Vec<u8>) {
                const SIZE: usize = size_of::<$ty>();
                let mut block = [0u8; BLOCK];
                out.reserve(items.len() * SIZE);
                for part in items.chunks(BLOCK / SIZE) {
                    let bytes = &mut block[..part.len() * SIZE];
                    let (chunks, _) = bytes.as_chunks_mut::<SIZE>();
                    for (chunk, item) in chunks.iter_mut().zip(part) {
                        *chunk = item.to_be_bytes();
                    }
                    out.extend_from_slice(bytes);
                }
            }

            #[inline(always)]
            fn load_portable(items: &mut [Self], bytes: &[u8]) {
                const SIZE: usize = size_of::<$ty>();
                let (chunks, _) = bytes.as_chunks::<SIZE>();
                for (item, chunk) in items.iter_mut().zip(chunks) {
                    *item = <$ty>::from_be_bytes(*chunk);
                }
            }
        }
    )*};
}

bulk_ints!(u16, u32, u64, u128, i16, i32, i64, i128);

#[cfg(test)]
mod tests {
    use super::BulkInt;

    /// Lengths around the block size and the vector widths, so that every
    /// partial block and loop tail is taken.
    const LENGTHS: [usize; 9] = [0, 1, 3, 7, 8, 255, 256, 257, 1000];

    /// Both directions agree with the one-at-a-time conversion, in the copy
    /// this CPU selects (the AVX2 one where it has AVX2) and in the portable
    /// one, whatever the CPU.
    macro_rules! round_trip {
        ($($name:ident: $ty:ty),*) => {$(
            #[test]
            fn $name() {
                for len in LENGTHS {
                    // Distinct bytes in every position, so a wrong swap shows.
                    let items: Vec<$ty> = (0..len)
                        .map(|i| <$ty>::from_ne_bytes(std::array::from_fn(|b| (i * 31 + b * 7).to_le_bytes()[0])))
                        .collect();
                    let expected: Vec<u8> = items.iter().flat_map(|v| v.to_be_bytes()).collect();

                    for (copy, save) in [
                        ("dispatched", <$ty>::save_bulk as fn(&[$ty], &mut Vec<u8>)),
                        ("portable", <$ty>::save_portable),
                    ] {
                        let mut out = vec![0xAA];
                        save(&items, &mut out);
                        assert_eq!(out[0], 0xAA, "{copy} save appends");
                        assert_eq!(&out[1..], &expected[..], "{copy} save of {len}");
                    }
                    for (copy, load) in [
                        ("dispatched", <$ty>::load_bulk as fn(&mut [$ty], &[u8])),
                        ("portable", <$ty>::load_portable),
                    ] {
                        let mut loaded = vec![<$ty>::default(); len];
                        load(&mut loaded, &expected);
                        assert_eq!(loaded, items, "{copy} load of {len}");
                    }
                }
            }
        )*};
    }

    round_trip!(
        u16_round_trip: u16, u32_round_trip: u32, u64_round_trip: u64, u128_round_trip: u128,
        i16_round_trip: i16, i32_round_trip: i32, i64_round_trip: i64, i128_round_trip: i128
    );
}
