//! Code shared by the integration tests.
#![allow(dead_code, reason = "each test file uses its own part")]

pub mod examples;
pub mod fixtures;
pub mod read;
pub mod synthetic;
