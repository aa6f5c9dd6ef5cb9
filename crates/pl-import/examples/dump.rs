//! Prints the rows and errors of a file: `cargo run -p pl-import --example dump -- FILE [--date-order day-first]`.

use pl_import::{parse_path, DateOrder, ParseOptions};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let mut opts = ParseOptions::default();
    if let Some(i) = args.iter().position(|a| a == "--date-order") {
        opts.date_order = args.get(i + 1).and_then(|s| DateOrder::parse(s));
    }
    let path = std::path::Path::new(&args[1]);
    let res = parse_path(path, &opts, |r| println!("{r:?}\n"), |e| println!("ERROR {e}"));
    println!("{res:?}");
}
