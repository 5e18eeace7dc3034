// Keeps a console window from opening beside the app on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    if let Err(err) = loris_studio::run() {
        eprintln!("Loris Studio could not start: {err:#}");
        std::process::exit(1);
    }
}
