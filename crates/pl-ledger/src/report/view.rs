//! The window's pages of a month: the streamed report (one scan, the records and sums every
//! consumer reads) plus a small column of each event's sort and filter keys, read by page.
//!
//! Nothing here is a second model of an event: a page's lines are the records read back by
//! [`line_of`], as `report --json` writes them. The keys (amounts in cents, the instance's
//! position, the flags) are only what ordering and filtering need, ~32 bytes an event.
use std::sync::{Arc, Mutex};

use rust_decimal::Decimal;

use super::{line_of, InstanceKey, ReportStream, Scratch, Sums};
use crate::record::{guid_pack, EventKey};
use crate::{
    Error, EventPage, EventQuery, EventSort, InstanceLine, InstancePage, InstanceQuery, InstanceSort, MonthSummary, Result,
};

/// The largest page a query may ask for.
pub const MAX_PAGE: u32 = 1000;

const REFUND: u8 = EventKey::REFUND;
const LATE: u8 = EventKey::LATE;
const STATE_SHIFT: u8 = EventKey::STATE_SHIFT;

/// A month as the window reads it.
pub struct MonthView {
    stream: ReportStream,
    summary: MonthSummary,
    /// The position of each segment's first event (the keys stay in their segments).
    starts: Vec<u32>,
    /// Each event's instance line position, computed the first time a sort needs it.
    positions: std::sync::OnceLock<Vec<u32>>,
    /// The last filtered and sorted list of events, for the next page of the same query.
    last: Mutex<Option<(EventQuery, Arc<Vec<u32>>)>>,
}

impl MonthView {
    /// The view of a streamed month report computed with its records and keys
    /// ([`super::Keep::RecordsAndKeys`]).
    pub(crate) fn new(stream: ReportStream) -> Result<MonthView> {
        let summary = stream.month_summary()?;
        let segments = stream.segments()?;
        let mut starts = Vec::with_capacity(segments.len());
        let mut n = 0u32;
        for s in segments {
            if s.keys.len() != s.len() as usize {
                return Err(Error::Refused("the month was scanned without its keys".into()));
            }
            starts.push(n);
            n += s.len();
        }
        Ok(MonthView { stream, summary, starts, positions: std::sync::OnceLock::new(), last: Mutex::new(None) })
    }

    /// Every event's keys, in report order.
    fn keys(&self) -> impl Iterator<Item = &EventKey> {
        self.stream.segments.iter().flatten().flat_map(|s| s.keys.iter())
    }

    fn len(&self) -> usize {
        self.summary.totals.events as usize
    }

    /// Each event's instance line position (GUIDs through a table of the instance lines, any
    /// other id read back from its record: rare).
    fn positions(&self) -> Result<&[u32]> {
        if let Some(p) = self.positions.get() {
            return Ok(p);
        }
        let instances = &self.stream.instances;
        let table: rustc_hash::FxHashMap<u128, u32> = instances
            .iter()
            .enumerate()
            .filter_map(|(i, (k, _))| match k {
                InstanceKey::Guid(g) => Some((*g, i as u32)),
                InstanceKey::Text(_) => None,
            })
            .collect();
        let mut out = Vec::with_capacity(self.len());
        let mut not_guid = Vec::new();
        for (i, k) in self.keys().enumerate() {
            if k.flags & EventKey::NOT_GUID != 0 {
                not_guid.push(i as u32);
                out.push(u32::MAX);
            } else {
                out.push(table.get(&k.instance).copied().unwrap_or(u32::MAX));
            }
        }
        if !not_guid.is_empty() {
            let ids: Vec<String> = self.read(&not_guid, |e, _| e.instance_id.to_string())?;
            for (at, id) in not_guid.into_iter().zip(ids) {
                out[at as usize] = instance_position(instances, &id).unwrap_or(u32::MAX);
            }
        }
        Ok(self.positions.get_or_init(|| out))
    }

    pub fn summary(&self) -> &MonthSummary {
        &self.summary
    }

    /// A page of instance lines.
    pub fn instances(&self, q: &InstanceQuery) -> Result<InstancePage> {
        let all = &self.stream.instances;
        let needle = q.search.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_ascii_lowercase);
        let mut t = [0u8; 36];
        let mut picked: Vec<u32> = match &needle {
            None => (0..all.len() as u32).collect(),
            Some(n) => (0..all.len() as u32).filter(|&i| contains_ci(all[i as usize].0.text(&mut t), n)).collect(),
        };
        let key = |s: &Sums| -> Decimal {
            match q.sort {
                InstanceSort::Gross => s.gross,
                InstanceSort::Expenses => s.expenses,
                InstanceSort::Net => s.net,
                InstanceSort::WixShare => s.wix_share,
                InstanceSort::Events => Decimal::from(s.charges + s.refunds),
                InstanceSort::InstanceId => Decimal::ZERO,
            }
        };
        if q.sort != InstanceSort::InstanceId {
            // Ties keep the id order, in both directions.
            picked.sort_by(|&a, &b| {
                let o = key(&all[a as usize].1).cmp(&key(&all[b as usize].1));
                if q.descending { o.reverse() } else { o }.then(a.cmp(&b))
            });
        } else if q.descending {
            picked.reverse();
        }
        let (offset, rows) = page(&picked, q.offset, q.limit)?;
        let rows = rows.iter().map(|&i| {
            let (k, s) = &all[i as usize];
            s.line(k.text(&mut t))
        });
        Ok(InstancePage { total: picked.len() as u32, offset, rows: rows.collect::<Vec<InstanceLine>>() })
    }

    /// A page of event lines.
    pub fn events(&self, q: &EventQuery) -> Result<EventPage> {
        let list = self.matching(q)?;
        let total = list.as_ref().map_or(self.len(), |l| l.len()) as u32;
        let (offset, limit) = bounds(total, q.offset, q.limit)?;
        let wanted: Vec<u32> = match &list {
            Some(l) => l[offset as usize..(offset + limit) as usize].to_vec(),
            None => (offset..offset + limit).collect(),
        };
        Ok(EventPage { total, offset, rows: self.lines(&wanted)? })
    }

    /// The events a query selects, in its order; none when it is every event in report order.
    fn matching(&self, q: &EventQuery) -> Result<Option<Arc<Vec<u32>>>> {
        let unpaged = EventQuery { offset: 0, limit: 0, ..q.clone() };
        let search = q.search.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_ascii_lowercase);
        let instance = q.instance.as_deref().map(str::trim).filter(|s| !s.is_empty());
        let billing = match q.billing_type.as_deref() {
            None | Some("") => None,
            Some("CHARGE") => Some(0),
            Some("REFUND") => Some(REFUND),
            Some(other) => return Err(Error::Refused(format!("`{}` is not a billing type; CHARGE or REFUND", pl_import::clip(other)))),
        };
        let filtered = search.is_some() || instance.is_some() || billing.is_some() || q.late.is_some() || q.state.is_some();
        if !filtered && q.sort == EventSort::Report && !q.descending {
            return Ok(None);
        }
        if let Some((last, list)) = &*self.last.lock().unwrap_or_else(|p| p.into_inner()) {
            if *last == unpaged {
                return Ok(Some(Arc::clone(list)));
            }
        }
        // An instance is matched by its packed GUID; any other id by its line's position.
        let inst = instance.map(|id| match guid_pack(id) {
            Some(g) => (g, false),
            None => (u128::from(instance_position(&self.stream.instances, id).unwrap_or(u32::MAX)), true),
        });
        let positions = if inst.is_some_and(|(_, by_position)| by_position) || q.sort == EventSort::Instance { Some(self.positions()?) } else { None };
        let by_keys = |i: usize, k: &EventKey| -> bool {
            billing.is_none_or(|b| k.flags & REFUND == b)
                && q.late.is_none_or(|l| (k.flags & LATE != 0) == l)
                && q.state.is_none_or(|s| k.flags >> STATE_SHIFT == s as u8)
                && inst.is_none_or(|(want, by_position)| match (by_position, positions) {
                    (false, _) => k.flags & EventKey::NOT_GUID == 0 && k.instance == want,
                    (true, Some(p)) => u128::from(p[i]) == want && want != u128::from(u32::MAX),
                    (true, None) => false,
                })
        };
        let mut list: Vec<u32> = self.keys().enumerate().filter(|(i, k)| by_keys(*i, k)).map(|(i, _)| i as u32).collect();
        if let Some(needle) = &search {
            list = self.search(&list, needle)?;
        }
        if q.sort != EventSort::Report {
            // The sort key of each listed event beside it, then one sort of the pairs (ties in
            // report order, in both directions).
            let all: Vec<&EventKey> = if list.len() * 4 > self.len() { self.keys().collect() } else { Vec::new() };
            let key_of = |i: u32| -> Result<&EventKey> {
                if !all.is_empty() {
                    return Ok(all[i as usize]);
                }
                let si = self.starts.partition_point(|&s| s <= i).saturating_sub(1);
                self.stream.segments()?[si].keys.get((i - self.starts[si]) as usize).ok_or_else(|| Error::Refused("an event of the list has no keys".into()))
            };
            let mut pairs = Vec::with_capacity(list.len());
            for &i in &list {
                let k = key_of(i)?;
                let v = match q.sort {
                    EventSort::Report => 0,
                    EventSort::Instance => positions.map_or(0, |p| i64::from(p[i as usize])),
                    EventSort::Gross => k.gross,
                    EventSort::Net => k.net,
                    EventSort::WixShare => k.wix_share,
                };
                pairs.push((if q.descending { v.checked_neg().unwrap_or(i64::MAX) } else { v }, i));
            }
            pairs.sort_unstable();
            list = pairs.into_iter().map(|(_, i)| i).collect();
        } else if q.descending {
            list.reverse();
        }
        let list = Arc::new(list);
        *self.last.lock().unwrap_or_else(|p| p.into_inner()) = Some((unpaged, Arc::clone(&list)));
        Ok(Some(list))
    }

    /// Those of `list` (ascending positions) whose id, source id or instance id contains
    /// `needle` (lower case), read from the records on two threads.
    fn search(&self, list: &[u32], needle: &str) -> Result<Vec<u32>> {
        let segments = self.stream.segments()?;
        let find = |segs: std::ops::Range<usize>| -> Result<Vec<u32>> {
            let mut out = Vec::new();
            let mut id = String::new();
            for si in segs {
                let start = self.starts[si];
                let lo = list.partition_point(|&p| p < start);
                let hi = list.partition_point(|&p| p < start + segments[si].len());
                if lo == hi {
                    continue;
                }
                let wanted = &list[lo..hi];
                let mut w = 0usize;
                let mut at = start;
                let r = segments[si].each(|e| {
                    if w < wanted.len() && wanted[w] == at {
                        w += 1;
                        id.clear();
                        e.write_id(&mut id);
                        if contains_ci(&id, needle) || e.source_id.is_some_and(|s| contains_ci(s, needle)) || contains_ci(e.instance_id, needle) {
                            out.push(at);
                        }
                    }
                    at += 1;
                    if w == wanted.len() { Err(Stop::Done) } else { Ok(()) }
                });
                stop_ok(r)?;
            }
            Ok(out)
        };
        let n = segments.len();
        if n < 8 {
            return find(0..n);
        }
        let (a, b) = std::thread::scope(|s| {
            let second = s.spawn(|| find(n / 2..n));
            (find(0..n / 2), second.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
        });
        let mut a = a?;
        a.extend(b?);
        Ok(a)
    }

    /// The lines of the events at these positions, in this order.
    fn lines(&self, wanted: &[u32]) -> Result<Vec<crate::EventLine>> {
        self.read(wanted, line_of)
    }

    /// `f` of the events at these positions (read from their records), in this order.
    fn read<T: Clone>(&self, wanted: &[u32], mut f: impl FnMut(&crate::events::EventRef<'_>, &mut Scratch) -> T) -> Result<Vec<T>> {
        let segments = self.stream.segments()?;
        // By position, each segment read once, as far as its last wanted event.
        let mut order: Vec<(u32, usize)> = wanted.iter().enumerate().map(|(slot, &p)| (p, slot)).collect();
        order.sort_unstable();
        let mut out: Vec<Option<T>> = vec![None; wanted.len()];
        let mut sc = Scratch::default();
        let mut k = 0usize;
        while k < order.len() {
            let before = k;
            let si = self.starts.partition_point(|&s| s <= order[k].0).saturating_sub(1);
            let start = self.starts[si];
            let mut at = start;
            let r = segments[si].each(|e| {
                while k < order.len() && order[k].0 == at {
                    out[order[k].1] = Some(f(e, &mut sc));
                    k += 1;
                }
                at += 1;
                if k == order.len() || order[k].0 >= start + segments[si].len() { Err(Stop::Done) } else { Ok(()) }
            });
            stop_ok(r)?;
            if k == before {
                // A position past the last event (positions come from the keys: cannot happen).
                return Err(Error::Refused(format!("event {} of the page is not in the month's records", order[k].0)));
            }
        }
        out.into_iter().map(|l| l.ok_or_else(|| Error::Refused("an event of the page is missing from the month's records".into()))).collect()
    }
}

/// Ends a segment's reading early.
enum Stop {
    Done,
}

fn stop_ok(r: std::result::Result<(), Stop>) -> Result<()> {
    match r {
        Ok(()) | Err(Stop::Done) => Ok(()),
    }
}

/// The position of an instance id among the sorted instance lines.
fn instance_position(instances: &[(InstanceKey, Sums)], id: &str) -> Option<u32> {
    let mut t = [0u8; 36];
    let pos = match guid_pack(id) {
        // Packed GUIDs sort as their texts, so a GUID is found by its number.
        Some(g) => instances.binary_search_by(|(k, _)| match k {
            InstanceKey::Guid(v) => v.cmp(&g),
            InstanceKey::Text(s) => (**s).cmp(id),
        }),
        None => instances.binary_search_by(|(k, _)| k.text(&mut t).cmp(id)),
    };
    pos.ok().map(|p| p as u32)
}

/// Whether `hay` contains `needle` (already lower case), ignoring ASCII case.
fn contains_ci(hay: &str, needle: &str) -> bool {
    let (h, n) = (hay.as_bytes(), needle.as_bytes());
    n.is_empty() || h.windows(n.len()).any(|w| w.iter().zip(n).all(|(a, b)| a.to_ascii_lowercase() == *b))
}

/// The page's start and length, checked.
fn bounds(total: u32, offset: u32, limit: u32) -> Result<(u32, u32)> {
    if limit > MAX_PAGE {
        return Err(Error::Refused(format!("a page holds at most {MAX_PAGE} lines; ask for {limit} by several pages")));
    }
    let offset = offset.min(total);
    Ok((offset, limit.min(total - offset)))
}

fn page(list: &[u32], offset: u32, limit: u32) -> Result<(u32, &[u32])> {
    let (offset, limit) = bounds(list.len() as u32, offset, limit)?;
    Ok((offset, &list[offset as usize..(offset + limit) as usize]))
}
