fn main() {
    std::process::exit(orgtui::cli::run());
}
