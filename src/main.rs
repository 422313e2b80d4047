// Same lint set as the library (see src/lib.rs).
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

fn main() {
    std::process::exit(orgtui::cli::run());
}
