//! The serde visitor scaffolding of the JSON readers that build their types
//! straight from the text (the vmdesc's, here, and the checker's
//! `-dump-vmstate` dumps): each value is read as an [`Expect`] says, a value
//! of another kind becomes that reader's problem without stopping the parse,
//! and whatever is not needed is read past with the parser's own checks.

use std::fmt;
use std::marker::PhantomData;

use serde_core::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

/// Reads past any one JSON value. Through `deserialize_any`, not
/// `deserialize_ignored_any`: that skims without `serde_json`'s nesting limit
/// and without checking that strings are UTF-8, and a skipped value must be
/// refused as a read one would be.
pub(crate) struct Skip;

impl<'de> DeserializeSeed<'de> for Skip {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(Skip)
    }
}

impl<'de> Visitor<'de> for Skip {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        Ok(())
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        Ok(())
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        Ok(())
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        Ok(())
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(Skip)?.is_some() {}
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while map.next_key_seed(Skip)?.is_some() {
            map.next_value_seed(Skip)?;
        }
        Ok(())
    }
}

/// What one JSON value must be: the method of the kind it accepts. A value
/// of any other kind is read past and becomes [`mismatch`](Self::mismatch).
pub(crate) trait Expect<'de>: Sized {
    /// What a value of the right kind gives.
    type Out;
    /// What is wrong with a value (the reader's own error type).
    type Problem;

    /// The problem with a value of another kind.
    fn mismatch(&self) -> Self::Problem;

    fn object<A: MapAccess<'de>>(
        self,
        map: A,
    ) -> Result<Result<Self::Out, Self::Problem>, A::Error> {
        Skip.visit_map(map)?;
        Ok(Err(self.mismatch()))
    }

    fn array<A: SeqAccess<'de>>(
        self,
        seq: A,
    ) -> Result<Result<Self::Out, Self::Problem>, A::Error> {
        Skip.visit_seq(seq)?;
        Ok(Err(self.mismatch()))
    }

    /// A non-negative integer.
    fn unsigned(self, _: u64) -> Result<Self::Out, Self::Problem> {
        Err(self.mismatch())
    }

    /// A negative integer.
    fn negative(self, _: i64) -> Result<Self::Out, Self::Problem> {
        Err(self.mismatch())
    }

    fn boolean(self, _: bool) -> Result<Self::Out, Self::Problem> {
        Err(self.mismatch())
    }

    fn string(self, _: &str) -> Result<Self::Out, Self::Problem> {
        Err(self.mismatch())
    }
}

/// Where a value stands, as a reader names it in its own problems (a JSON
/// path, an object and its key).
pub(crate) trait Site: Copy {
    /// The reader's error type.
    type Problem;

    /// The problem `what` (`is not a string`) at this site.
    fn problem(self, what: &str) -> Self::Problem;
}

/// A non-negative integer, at a [`Site`].
pub(crate) struct Unsigned<S>(pub(crate) S);

impl<S: Site> Expect<'_> for Unsigned<S> {
    type Out = u64;
    type Problem = S::Problem;

    fn mismatch(&self) -> S::Problem {
        self.0.problem("is not a non-negative integer")
    }

    fn unsigned(self, value: u64) -> Result<u64, S::Problem> {
        Ok(value)
    }
}

/// A string, at a [`Site`].
pub(crate) struct Text<S>(pub(crate) S);

impl<S: Site> Expect<'_> for Text<S> {
    type Out = String;
    type Problem = S::Problem;

    fn mismatch(&self) -> S::Problem {
        self.0.problem("is not a string")
    }

    fn string(self, value: &str) -> Result<String, S::Problem> {
        Ok(value.to_owned())
    }
}

/// The seed and visitor of an [`Expect`].
pub(crate) struct Expected<E>(pub(crate) E);

impl<'de, E: Expect<'de>> DeserializeSeed<'de> for Expected<E> {
    type Value = Result<E::Out, E::Problem>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de, E: Expect<'de>> Visitor<'de> for Expected<E> {
    type Value = Result<E::Out, E::Problem>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<X: de::Error>(self) -> Result<Self::Value, X> {
        Ok(Err(self.0.mismatch()))
    }

    fn visit_bool<X: de::Error>(self, value: bool) -> Result<Self::Value, X> {
        Ok(self.0.boolean(value))
    }

    // `serde_json` gives a non-negative integer as `u64` and a negative one
    // as `i64`, from text and from a `Value` alike.
    fn visit_i64<X: de::Error>(self, value: i64) -> Result<Self::Value, X> {
        Ok(match u64::try_from(value) {
            Ok(value) => self.0.unsigned(value),
            Err(_) => self.0.negative(value),
        })
    }

    fn visit_u64<X: de::Error>(self, value: u64) -> Result<Self::Value, X> {
        Ok(self.0.unsigned(value))
    }

    fn visit_f64<X: de::Error>(self, _: f64) -> Result<Self::Value, X> {
        Ok(Err(self.0.mismatch()))
    }

    fn visit_str<X: de::Error>(self, value: &str) -> Result<Self::Value, X> {
        Ok(self.0.string(value))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        self.0.array(seq)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        self.0.object(map)
    }
}

/// The value of the next key, read as `expect` says.
pub(crate) fn value<'de, A: MapAccess<'de>, E: Expect<'de>>(
    map: &mut A,
    expect: E,
) -> Result<Result<E::Out, E::Problem>, A::Error> {
    map.next_value_seed(Expected(expect))
}

/// An array's elements, each read by `element(index)`, in a list of their
/// number; after the first element with a problem the rest are only read
/// past, and the problem is the array's.
pub(crate) fn elements<'de, A, S, T, P>(
    mut seq: A,
    mut element: impl FnMut(usize) -> S,
) -> Result<Result<Vec<T>, P>, A::Error>
where
    A: SeqAccess<'de>,
    S: DeserializeSeed<'de, Value = Result<T, P>>,
{
    let mut items = Vec::new();
    while let Some(item) = seq.next_element_seed(element(items.len()))? {
        match item {
            Ok(item) => items.push(item),
            Err(problem) => {
                Skip.visit_seq(seq)?;
                return Ok(Err(problem));
            }
        }
    }
    // Held for the whole run: give back what doubling left over (a Vec's
    // first growth makes room for four, and many lists hold one or two).
    items.shrink_to_fit();
    Ok(Ok(items))
}

/// The object keys a reader knows, each by its JSON text, and one that
/// stands for every other key (which the reader skips).
pub(crate) trait Keys: Copy + PartialEq + 'static {
    /// Every known key with its JSON text.
    const KEYS: &'static [(&'static str, Self)];
    /// Any other key.
    const OTHER: Self;

    /// The key's JSON text (empty for [`OTHER`](Self::OTHER)).
    fn text(self) -> &'static str {
        Self::KEYS
            .iter()
            .find(|(_, key)| *key == self)
            .map_or("", |(text, _)| text)
    }
}

/// Reads an object key as one of a reader's [`Keys`], without keeping its
/// text.
pub(crate) struct KeySeed<K>(PhantomData<K>);

impl<K> KeySeed<K> {
    /// The seed.
    pub(crate) const NEW: Self = Self(PhantomData);
}

impl<'de, K: Keys> DeserializeSeed<'de> for KeySeed<K> {
    type Value = K;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<K, D::Error> {
        deserializer.deserialize_identifier(self)
    }
}

impl<K: Keys> Visitor<'_> for KeySeed<K> {
    type Value = K;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object key")
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<K, E> {
        Ok(K::KEYS
            .iter()
            .find(|(known, _)| *known == text)
            .map_or(K::OTHER, |(_, key)| *key))
    }
}
