//! The `vmstate` command-line tool.

fn main() {
    eprintln!("vmstate: no commands yet");
    std::process::exit(2);
}
