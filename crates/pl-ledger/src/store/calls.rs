//! The log of every call Wix made to the provider (`charge_calls`), accepted or refused.
use rusqlite::{params, Connection};

use crate::{ChargeCall, NewCall, Result};

pub(crate) fn insert(conn: &Connection, c: &NewCall) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO charge_calls (received_at, endpoint, status, request_id, instance_id, intent, currency, period_start, \
         period_end, answer, left_out, frozen, token_iat, token_exp, note) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
    )?
    .execute(params![
        c.received_at, c.endpoint, c.status, c.request_id, c.instance_id, c.intent, c.currency, c.period_start, c.period_end,
        c.answer, c.left_out, c.frozen, c.token_iat, c.token_exp, c.note
    ])?;
    Ok(())
}

/// The newest `limit` calls, of one instance or all, newest first.
pub(crate) fn list(conn: &Connection, instance: Option<&str>, limit: u32) -> Result<Vec<ChargeCall>> {
    let sql = "SELECT id, received_at, endpoint, status, request_id, instance_id, intent, currency, period_start, period_end, \
               answer, left_out, frozen, token_iat, token_exp, note FROM charge_calls";
    let map = |r: &rusqlite::Row<'_>| {
        Ok(ChargeCall {
            id: r.get(0)?,
            received_at: r.get(1)?,
            endpoint: r.get(2)?,
            status: r.get(3)?,
            request_id: r.get(4)?,
            instance_id: r.get(5)?,
            intent: r.get(6)?,
            currency: r.get(7)?,
            period_start: r.get(8)?,
            period_end: r.get(9)?,
            answer: r.get(10)?,
            left_out: r.get(11)?,
            frozen: r.get(12)?,
            token_iat: r.get(13)?,
            token_exp: r.get(14)?,
            note: r.get(15)?,
        })
    };
    let rows = match instance {
        Some(i) => {
            let mut stmt = conn.prepare_cached(&format!("{sql} WHERE instance_id = ?1 ORDER BY id DESC LIMIT ?2"))?;
            let v = stmt.query_map(params![i, limit], map)?.collect::<rusqlite::Result<Vec<_>>>()?;
            v
        }
        None => {
            let mut stmt = conn.prepare_cached(&format!("{sql} ORDER BY id DESC LIMIT ?1"))?;
            let v = stmt.query_map(params![limit], map)?.collect::<rusqlite::Result<Vec<_>>>()?;
            v
        }
    };
    Ok(rows)
}
