//! The window's path on a month (`make bench`): the same Rust calls the Tauri commands make
//! (`Ledger::month_summary`, `instance_page`, `event_page`), timed one after the other on one
//! open ledger, as the Month view asks for them.
//!
//!     bench_window LEDGER MONTH
//!
//! Prints `key=value` pairs: seconds of each step and the process's peak RSS (MB).
use std::time::Instant;

use pl_ledger::{EventQuery, EventSort, InstanceQuery, InstanceSort, Ledger};

fn peak_mb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok()))
        .map_or(0, |kb| kb / 1024)
}

fn fail(e: pl_ledger::Error) -> ! {
    eprintln!("error: {e}");
    std::process::exit(1)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(db), Some(month)) = (args.get(1), args.get(2)) else {
        eprintln!("usage: bench_window LEDGER MONTH");
        std::process::exit(2);
    };
    let l = Ledger::open(std::path::Path::new(db)).unwrap_or_else(|e| fail(e));
    let events = |offset: u32| EventQuery {
        month: month.clone(),
        instance: None,
        billing_type: None,
        late: None,
        state: None,
        search: None,
        sort: EventSort::Report,
        descending: false,
        offset,
        limit: 200,
    };
    let instances =
        |sort: InstanceSort, limit: u32| InstanceQuery { month: month.clone(), search: None, sort, descending: sort != InstanceSort::InstanceId, offset: 0, limit };
    let t = Instant::now();
    let summary = l.month_summary(month).unwrap_or_else(|e| fail(e));
    let summary_secs = t.elapsed().as_secs_f64();
    let first_instances = l.instance_page(&instances(InstanceSort::InstanceId, 200)).unwrap_or_else(|e| fail(e));
    let chart = l.instance_page(&instances(InstanceSort::WixShare, 10)).unwrap_or_else(|e| fail(e));
    let first_events = l.event_page(&events(0)).unwrap_or_else(|e| fail(e));
    let first = t.elapsed().as_secs_f64();
    let step = |f: &dyn Fn()| {
        let t = Instant::now();
        f();
        t.elapsed().as_secs_f64()
    };
    let n = summary.totals.events;
    let later = step(&|| drop(l.event_page(&events(n / 2)).unwrap_or_else(|e| fail(e))));
    let some_instance = first_instances.rows.get(first_instances.rows.len() / 2).map(|i| i.instance_id.clone());
    let by_instance = step(&|| drop(l.event_page(&EventQuery { instance: some_instance.clone(), ..events(0) }).unwrap_or_else(|e| fail(e))));
    let refunds = step(&|| drop(l.event_page(&EventQuery { billing_type: Some("REFUND".into()), ..events(0) }).unwrap_or_else(|e| fail(e))));
    let by_gross = step(&|| drop(l.event_page(&EventQuery { sort: EventSort::Gross, descending: true, ..events(0) }).unwrap_or_else(|e| fail(e))));
    let by_gross_next = step(&|| drop(l.event_page(&EventQuery { sort: EventSort::Gross, descending: true, ..events(200) }).unwrap_or_else(|e| fail(e))));
    let needle = first_events.rows.last().and_then(|e| e.source_id.clone()).unwrap_or_else(|| "txn_".into());
    let search = step(&|| drop(l.event_page(&EventQuery { search: Some(needle.clone()), ..events(0) }).unwrap_or_else(|e| fail(e))));
    let sorted_instances = step(&|| drop(l.instance_page(&InstanceQuery { offset: 5000, ..instances(InstanceSort::Net, 200) }).unwrap_or_else(|e| fail(e))));
    let worst = [later, by_instance, refunds, by_gross, by_gross_next, search, sorted_instances].into_iter().fold(0f64, f64::max);
    println!(
        "events={n} instances={} chart={} summary_secs={summary_secs:.3} first_secs={first:.3} later_page_secs={later:.3} instance_filter_secs={by_instance:.3} \
         refund_filter_secs={refunds:.3} sort_gross_secs={by_gross:.3} sort_gross_next_secs={by_gross_next:.3} search_secs={search:.3} \
         instance_sort_secs={sorted_instances:.3} worst_later_secs={worst:.3} peak_mb={}",
        summary.instances,
        chart.rows.len(),
        peak_mb()
    );
}
