//! Random logs for the unit tests of the summary paths (compiled only for tests).

use super::LogColumns;
use arrow_array::{ArrayRef, Date32Array, Float64Array, Int64Array, RecordBatch, StringArray};
use arrow_schema::ArrowError;
use std::sync::Arc;

pub(super) fn columns() -> LogColumns {
    LogColumns {
        customer_id: "customer_id".into(),
        date: "date".into(),
        amount: Some("amount".into()),
        tag: None,
        link: None,
    }
}

/// One log row: customer id, day (since 1970-01-01), amount.
pub(super) type LogRow = (i64, i32, f64);

/// `n` pseudo-random rows (xorshift from `seed`): a few heavy customers and a long tail, days
/// over 400 days of 2019-2020, amounts in cents from -2.00 to 17.99 (so refunds too).
pub(super) fn random_rows(seed: u64, n: usize) -> Vec<LogRow> {
    let mut x = seed | 1;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    (0..n)
        .map(|_| {
            let r = next();
            let c = if r % 5 == 0 { r % 7 } else { r % 3_000 } as i64;
            let day = 18_000 + (next() % 400) as i32;
            let amount = (next() % 2_000) as f64 / 100.0 - 2.0;
            (c * 37 - 5_000, day, amount)
        })
        .collect()
}

/// `rows` as batches of `per` rows, the ids as Int64 or (`text`) as "c<id>" strings.
pub(super) fn batches_of(rows: &[LogRow], per: usize, text: bool) -> Vec<RecordBatch> {
    batches_with(rows, per, text, true, None)
}

/// [`batches_of`], the amount column only with `amounts`, and with `segment` a "channel"
/// column of its value for each row.
pub(super) fn batches_with(
    rows: &[LogRow],
    per: usize,
    text: bool,
    amounts: bool,
    segment: Option<fn(&LogRow) -> &'static str>,
) -> Vec<RecordBatch> {
    rows.chunks(per)
        .map(|chunk| {
            let id: ArrayRef = if text {
                Arc::new(StringArray::from_iter_values(
                    chunk.iter().map(|r| format!("c{}", r.0)),
                ))
            } else {
                Arc::new(Int64Array::from_iter_values(chunk.iter().map(|r| r.0)))
            };
            let days = Date32Array::from_iter_values(chunk.iter().map(|r| r.1));
            let mut cols = vec![("customer_id", id), ("date", Arc::new(days) as ArrayRef)];
            if let Some(segment) = segment {
                let names = StringArray::from_iter_values(chunk.iter().map(segment));
                cols.push(("channel", Arc::new(names) as ArrayRef));
            }
            if amounts {
                let amounts = Float64Array::from_iter_values(chunk.iter().map(|r| r.2));
                cols.push(("amount", Arc::new(amounts) as ArrayRef));
            }
            RecordBatch::try_from_iter(cols).unwrap_or_else(|e| panic!("{e}"))
        })
        .collect()
}

/// The batch size for a one-pass test of `rows` rows: 997 (one thread adds a batch's rows),
/// or just over `parallel_rows` when there are enough rows for batches on two threads.
pub(super) fn batch_rows(rows: usize, parallel_rows: usize) -> usize {
    if rows > 2 * parallel_rows {
        parallel_rows + 3
    } else {
        997
    }
}

/// `batches` as the stream of an Arrow reader.
pub(super) fn stream(batches: &[RecordBatch]) -> Vec<Result<RecordBatch, ArrowError>> {
    batches.iter().cloned().map(Ok).collect()
}

/// `batches` batches of `per` random rows ([`random_rows`]).
pub(super) fn random_batches(
    seed: u64,
    batches: usize,
    per: usize,
    text: bool,
) -> Vec<RecordBatch> {
    batches_of(&random_rows(seed, batches * per), per, text)
}
