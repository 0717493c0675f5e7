//! Reading a transaction log from Arrow record batches: column lookup, type conversion, row
//! validation and the bad-input policies, batch by batch.

use super::unit::days_from_date;
use super::{Future, Policy, Refunds, Report};
use crate::error::{Error, Result};
use arrow_array::cast::AsArray;
use arrow_array::types::{
    Date32Type, Date64Type, Float64Type, Int64Type, TimestampMicrosecondType,
    TimestampMillisecondType, TimestampNanosecondType, TimestampSecondType, UInt64Type,
};
use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_buffer::ScalarBuffer;
use arrow_schema::{DataType, SchemaRef, TimeUnit as ArrowTimeUnit};
use chrono::{NaiveDate, Offset, TimeZone};
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// A small, fast, non-cryptographic hasher (the Fx hash of rustc) for customer keys: the keys
/// are the user's own data, not an attacker's, and SipHash would dominate the run time.
#[derive(Default, Clone, Copy)]
pub struct FxHasher(u64);

const FX_SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut b = [0u8; 8];
            b.copy_from_slice(c);
            self.write_u64(u64::from_le_bytes(b));
        }
        for &b in chunks.remainder() {
            self.write_u64(u64::from(b));
        }
    }
    fn write_u64(&mut self, i: u64) {
        self.0 = (self.0.rotate_left(5) ^ i).wrapping_mul(FX_SEED);
    }
    fn write_i64(&mut self, i: i64) {
        self.write_u64(i as u64);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

pub type FxMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;

/// The names of the columns to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogColumns {
    pub customer_id: String,
    pub date: String,
    /// None: a log without amounts (counts only).
    pub amount: Option<String>,
    /// An optional text column carried per row (a segment, a value type, ...).
    pub tag: Option<String>,
    /// An optional second text column in which nulls are allowed (e.g. `referred_by`).
    pub link: Option<String>,
}

/// The customer keys of a log, in ascending order after [`Ingest::finish`].
#[derive(Debug, Clone, PartialEq)]
pub enum Keys {
    Int(Vec<i64>),
    Str(Vec<Box<str>>),
}

impl Keys {
    pub fn len(&self) -> usize {
        match self {
            Keys::Int(v) => v.len(),
            Keys::Str(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The keys at `idx`, in that order.
    pub fn select(&self, idx: &[u32]) -> Keys {
        match self {
            Keys::Int(v) => Keys::Int(idx.iter().map(|&i| v[i as usize]).collect()),
            Keys::Str(v) => Keys::Str(idx.iter().map(|&i| v[i as usize].clone()).collect()),
        }
    }
}

/// One kept row: customer index (into [`Log::keys`]), day (since 1970-01-01), amount, tag index.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Row {
    pub customer: u32,
    pub day: i32,
    pub amount: f64,
    pub tag: u32,
    /// Index into [`Log::links`], or [`NO_LINK`] for a null.
    pub link: u32,
}

/// [`Row::link`] of a null.
pub const NO_LINK: u32 = u32::MAX;

/// A validated log, its rows sorted by customer (in key order), day and amount.
#[derive(Debug, Clone)]
pub struct Log {
    pub keys: Keys,
    pub rows: Vec<Row>,
    /// The values of the tag column (indexed by [`Row::tag`]), empty without one.
    pub tags: Vec<Box<str>>,
    /// For each tag value, the first row (0-based over the input) that carries it.
    pub tag_rows: Vec<usize>,
    /// The values of the link column (indexed by [`Row::link`]).
    pub links: Vec<Box<str>>,
    pub has_amount: bool,
    pub report: Report,
    /// The customer column's name, for the output.
    pub customer_column: String,
}

impl Log {
    /// The last day of the log, if any row was kept.
    pub fn max_day(&self) -> Option<i32> {
        self.rows.iter().map(|r| r.day).max()
    }
}

/// Interns the values of a text column.
#[derive(Default)]
struct Interner {
    map: FxMap<Box<str>, u32>,
    values: Vec<Box<str>>,
    first_rows: Vec<usize>,
}

impl Interner {
    /// The index of each value; nulls are [`NO_LINK`] if allowed, an error otherwise.
    fn intern(
        &mut self,
        array: &ArrayRef,
        column: &str,
        offset: usize,
        nulls: bool,
    ) -> Result<Vec<u32>> {
        let array = cast(array, &DataType::Utf8, column)?;
        if !nulls {
            first_null(&array, column, offset, "null")?;
        }
        let strings = array.as_string::<i32>();
        let mut out = Vec::with_capacity(array.len());
        for (i, s) in strings.iter().enumerate() {
            let Some(s) = s else {
                out.push(NO_LINK);
                continue;
            };
            let k = match self.map.get(s) {
                Some(&k) => k,
                None => {
                    let k = self.values.len() as u32;
                    self.map.insert(s.into(), k);
                    self.values.push(s.into());
                    self.first_rows.push(offset + i);
                    k
                }
            };
            out.push(k);
        }
        Ok(out)
    }
}

/// Integer customer ids: a direct table while they span a small range (no hashing), a hash map
/// once they do not.
#[derive(Default)]
struct IntKeys {
    /// Ids known (from the Parquet statistics) to lie in `base..base + slots`: the index of
    /// an id is `id - base`, with no table and no count of the distinct ids (see
    /// [`Ingest::direct_ids`]).
    direct: Option<(i64, usize)>,
    /// Set when an id fell outside the `direct` range.
    missed: bool,
    /// (smallest id covered, index of each id from there; `u32::MAX` for none yet)
    dense: Option<(i64, Vec<u32>)>,
    map: FxMap<i64, u32>,
    /// The ids in first-seen order, once they are hashed (the direct table holds them before:
    /// 8 bytes a customer less while the log is read).
    values: Vec<i64>,
    /// The number of distinct ids.
    count: usize,
}

pub(super) const EMPTY_SLOT: u32 = u32::MAX;

impl IntKeys {
    fn intern_all(&mut self, ints: &[i64], rows_before: usize, out: &mut Vec<u32>) {
        let (Some(&lo), Some(&hi)) = (ints.iter().min(), ints.iter().max()) else {
            return;
        };
        if let Some((base, slots)) = self.direct {
            if lo < base || i128::from(hi) - i128::from(base) >= slots as i128 {
                // the statistics were wrong: the caller stops ([`Ingest::direct_missed`]);
                // the rows get index 0 meanwhile
                self.missed = true;
                out.resize(out.len() + ints.len(), 0);
            } else {
                out.extend(ints.iter().map(|&v| (v - base) as u32));
            }
            return;
        }
        // a table of at most ~2 slots per row (plus 8M) stays within the memory of the rows
        let limit = 8_000_000i128 + 2 * (rows_before + ints.len()) as i128;
        let fresh = self.count == 0 && self.dense.is_none();
        if fresh && i128::from(hi) - i128::from(lo) < limit {
            self.dense = Some((lo, Vec::new()));
        }
        if let Some((base, table)) = self.dense.as_mut() {
            let new_lo = lo.min(*base);
            let new_hi = hi.max(*base + table.len() as i64 - 1).max(hi);
            if i128::from(new_hi) - i128::from(new_lo) < limit {
                if new_lo < *base {
                    let mut grown = vec![EMPTY_SLOT; (*base - new_lo) as usize];
                    grown.extend_from_slice(table);
                    *table = grown;
                    *base = new_lo;
                }
                table.resize((new_hi - *base + 1) as usize, EMPTY_SLOT);
            } else {
                // from the table to the map: the ids and their first-seen indices
                self.values = vec![0; self.count];
                self.map = FxMap::default();
                self.map.reserve(self.count);
                for (offset, &slot) in table.iter().enumerate() {
                    if slot != EMPTY_SLOT {
                        let id = *base + offset as i64;
                        self.values[slot as usize] = id;
                        self.map.insert(id, slot);
                    }
                }
                self.dense = None;
            }
        }
        let values = &mut self.values;
        let count = &mut self.count;
        match self.dense.as_mut() {
            Some((base, table)) => {
                // ids come in no order: each lookup is a cache miss, fetched ahead
                const AHEAD: usize = 16;
                let at = table.as_ptr().wrapping_sub(*base as usize);
                out.extend(ints.iter().enumerate().map(|(k, &v)| {
                    if let Some(&ahead) = ints.get(k + AHEAD) {
                        super::parity::prefetch(at.wrapping_add(ahead as usize));
                    }
                    let slot = &mut table[(v - *base) as usize];
                    if *slot == EMPTY_SLOT {
                        *slot = *count as u32;
                        *count += 1;
                    }
                    *slot
                }));
            }
            None => {
                let map = &mut self.map;
                out.extend(ints.iter().map(|&v| {
                    *map.entry(v).or_insert_with(|| {
                        values.push(v);
                        *count += 1;
                        (values.len() - 1) as u32
                    })
                }));
            }
        }
    }
}

enum KeyMap {
    Unset,
    Int(IntKeys),
    Str(FxMap<Box<str>, u32>, Vec<Box<str>>),
}

#[derive(Clone, Copy)]
struct Indices {
    customer: usize,
    date: usize,
    amount: Option<usize>,
    tag: Option<usize>,
    link: Option<usize>,
}

/// Reads a log batch by batch.
///
/// # Errors
/// [`Error::InvalidColumn`] for a missing column or an unusable type; [`Error::InvalidRow`]
/// (column, 0-based row over all batches, value) for a null key or date, an unparseable date, a
/// null, NaN or infinite amount, a date after `observation_end` under [`Future::Raise`], a
/// negative amount under [`Refunds::Error`].
pub struct Ingest {
    columns: LogColumns,
    policy: Policy,
    idx: Option<Indices>,
    keys: KeyMap,
    tags: Interner,
    links: Interner,
    rows: Vec<Row>,
    report: Report,
    /// Spill the kept rows to partition files once this many are held (`usize::MAX`: never).
    spill_at: usize,
    /// The expected number of input rows (from Parquet footers), to size the partitions.
    rows_hint: Option<u64>,
    spill: Option<super::spill::Spill>,
}

/// Bytes of memory per kept row on the in-memory path: the 24-byte row, its copy during the
/// counting sort and the slack of a growing vector.
pub(super) const BYTES_PER_ROW: u64 = 64;

/// The rows of a batch that no policy touches ([`Ingest::visit_plain`]): customer indices,
/// days and amounts.
pub(super) struct PlainColumns {
    pub(super) customers: Vec<u32>,
    pub(super) days: ScalarBuffer<i32>,
    pub(super) amounts: Option<ScalarBuffer<f64>>,
}

/// The columns of a batch, validated ([`Ingest::visit`]).
struct Validated {
    /// The 0-based row of the batch's first row in the whole input.
    offset: usize,
    customers: Vec<u32>,
    days: ScalarBuffer<i32>,
    amounts: Option<ScalarBuffer<f64>>,
    tags: Option<Vec<u32>>,
    links: Option<Vec<u32>>,
}

impl Ingest {
    pub fn new(columns: LogColumns, policy: Policy) -> Self {
        Ingest {
            columns,
            policy,
            idx: None,
            keys: KeyMap::Unset,
            tags: Interner::default(),
            links: Interner::default(),
            rows: Vec::new(),
            report: Report::default(),
            spill_at: usize::MAX,
            rows_hint: None,
            spill: None,
        }
    }

    /// Bounds the memory of the kept rows to about `bytes` (the [`summary::rfm_summary`] path
    /// of [`Ingest::rfm_summary`] only): past `bytes / 64` rows they are partitioned by
    /// customer into temporary files (under `std::env::temp_dir()`, i.e. `$TMPDIR`), each
    /// summarised on its own. `rows_hint`, the expected number of input rows, sizes the
    /// partitions. Without a tag or link column only; ignored otherwise.
    ///
    /// [`summary::rfm_summary`]: super::summary::rfm_summary
    pub fn memory_limit(&mut self, bytes: u64, rows_hint: Option<u64>) {
        if self.columns.tag.is_none() && self.columns.link.is_none() {
            self.spill_at = usize::try_from((bytes / BYTES_PER_ROW).max(16)).unwrap_or(usize::MAX);
            self.rows_hint = rows_hint;
        }
    }

    /// Checks the schema (call it before the first batch, also for an empty stream).
    ///
    /// # Errors
    /// [`Error::InvalidColumn`] naming the missing column and the available ones.
    pub fn schema(&mut self, schema: &SchemaRef) -> Result<()> {
        let find = |name: &str, what: &str| -> Result<usize> {
            schema.index_of(name).map_err(|_| Error::InvalidColumn {
                column: name.to_owned(),
                problem: format!(
                    "no such column (the {what}); the columns are {:?}; pass {what}=\"<name>\"",
                    schema
                        .fields()
                        .iter()
                        .map(|f| f.name().as_str())
                        .collect::<Vec<_>>()
                ),
            })
        };
        let idx = Indices {
            customer: find(&self.columns.customer_id, "customer_id")?,
            date: find(&self.columns.date, "date")?,
            amount: match &self.columns.amount {
                Some(a) => Some(find(a, "amount")?),
                None => None,
            },
            tag: match &self.columns.tag {
                Some(t) => Some(find(t, "tag column")?),
                None => None,
            },
            link: match &self.columns.link {
                Some(t) => Some(find(t, "link column")?),
                None => None,
            },
        };
        let f = schema.field(idx.customer);
        if self.policy_key_kind(f.data_type()).is_none() {
            return Err(Error::InvalidColumn {
                column: f.name().clone(),
                problem: format!(
                    "customer ids of type {} are not supported; use integers or strings",
                    f.data_type()
                ),
            });
        }
        self.idx = Some(idx);
        Ok(())
    }

    fn policy_key_kind(&self, dt: &DataType) -> Option<bool> {
        match dt {
            DataType::Int8
            | DataType::Int16
            | DataType::Int32
            | DataType::Int64
            | DataType::UInt8
            | DataType::UInt16
            | DataType::UInt32
            | DataType::UInt64
            | DataType::Float32
            | DataType::Float64 => Some(true),
            DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => Some(false),
            DataType::Dictionary(_, v) => self.policy_key_kind(v),
            _ => None,
        }
    }

    /// Reads one batch.
    ///
    /// # Errors
    /// See [`Ingest`].
    pub fn push(&mut self, batch: &RecordBatch) -> Result<()> {
        let mut rows = std::mem::take(&mut self.rows);
        rows.reserve(batch.num_rows());
        let visited = self.visit(batch, |row| rows.push(row));
        self.rows = rows;
        visited?;
        if self.rows.len() >= self.spill_at {
            self.spill_rows()?;
        }
        Ok(())
    }

    /// Validates one batch and hands each kept row to `sink`, in input order (the policies
    /// applied and counted as in [`Ingest::push`], which keeps the rows); the customer indices
    /// are in first-seen order ([`Ingest::customer_count`] of them so far).
    ///
    /// # Errors
    /// See [`Ingest`]; rows before the offending one have been handed to `sink`.
    pub fn visit(&mut self, batch: &RecordBatch, sink: impl FnMut(Row)) -> Result<()> {
        match self.validated(batch)? {
            Some(cols) => self.each_row(&cols, sink),
            None => Ok(()),
        }
    }

    /// [`Ingest::visit`], except that the rows of a batch that no policy touches (no row
    /// after `observation_end`, no refund under `refunds="drop"` or `"error"`, no tag or link
    /// column: a batch of most logs) are returned as validated columns, for a loop of the
    /// caller's own; the rows of other batches go to `sink` one by one (then None).
    ///
    /// # Errors
    /// See [`Ingest::visit`].
    pub(super) fn visit_plain(
        &mut self,
        batch: &RecordBatch,
        sink: impl FnMut(Row),
    ) -> Result<Option<PlainColumns>> {
        let Some(cols) = self.validated(batch)? else {
            return Ok(None);
        };
        let untouched = cols.tags.is_none()
            && cols.links.is_none()
            && self
                .policy
                .observation_end
                .is_none_or(|end| cols.days.iter().all(|&d| d <= end))
            && (self.policy.refunds == Refunds::Net
                || cols
                    .amounts
                    .as_ref()
                    .is_none_or(|a| a.iter().all(|&v| v >= 0.0)));
        if !untouched {
            self.each_row(&cols, sink)?;
            return Ok(None);
        }
        self.report.rows_read += cols.days.len() as u64;
        Ok(Some(PlainColumns {
            customers: cols.customers,
            days: cols.days,
            amounts: cols.amounts,
        }))
    }

    /// The validated columns of `batch` (customer indices, days, amounts, tags, links: the
    /// errors of [`Ingest::visit`] before any policy); None for a log without the columns.
    fn validated(&mut self, batch: &RecordBatch) -> Result<Option<Validated>> {
        if self.idx.is_none() {
            self.schema(&batch.schema())?;
        }
        let Some(idx) = self.idx else {
            return Ok(None);
        };
        let offset = usize::try_from(self.report.rows_read).unwrap_or(usize::MAX);
        let customers = self.intern_keys(batch.column(idx.customer), offset)?;
        let days = to_days(batch.column(idx.date), &self.columns.date, offset)?;
        let amounts = match (idx.amount, &self.columns.amount) {
            (Some(i), Some(name)) => Some(to_amounts(batch.column(i), name, offset)?),
            _ => None,
        };
        let tags = match (idx.tag, &self.columns.tag) {
            (Some(i), Some(name)) => {
                Some(self.tags.intern(batch.column(i), name, offset, false)?)
            }
            _ => None,
        };
        let links = match (idx.link, &self.columns.link) {
            (Some(i), Some(name)) => {
                Some(self.links.intern(batch.column(i), name, offset, true)?)
            }
            _ => None,
        };
        Ok(Some(Validated {
            offset,
            customers,
            days,
            amounts,
            tags,
            links,
        }))
    }

    /// Applies the policies to the rows of `cols` and hands each kept row to `sink`.
    fn each_row(&mut self, cols: &Validated, mut sink: impl FnMut(Row)) -> Result<()> {
        let Validated {
            offset,
            customers,
            days,
            amounts,
            tags,
            links,
        } = cols;
        let (offset, n) = (*offset, days.len());
        for i in 0..n {
            let day = days[i];
            let amount = amounts.as_ref().map_or(0.0, |a| a[i]);
            if let Some(end) = self.policy.observation_end {
                if day > end {
                    match self.policy.future {
                        Future::Raise => {
                            return Err(Error::InvalidRow {
                                column: self.columns.date.clone(),
                                row: offset + i,
                                value: show_day(day),
                                problem: format!(
                                    "it is after observation_end ({}); pass future=\"drop\" to \
                                     leave such rows out, or a later observation_end",
                                    show_day(end)
                                ),
                            });
                        }
                        Future::Drop => {
                            self.report.future_rows_dropped += 1;
                            continue;
                        }
                    }
                }
            }
            if amount < 0.0 {
                match self.policy.refunds {
                    Refunds::Net => {}
                    Refunds::Drop => {
                        self.report.refund_rows_dropped += 1;
                        continue;
                    }
                    Refunds::Error => {
                        return Err(Error::InvalidRow {
                            column: self.columns.amount.clone().unwrap_or_default(),
                            row: offset + i,
                            value: amount.to_string(),
                            problem: "negative amounts (refunds) are not allowed with \
                                      refunds=\"error\"; pass refunds=\"net\" to net them \
                                      against the same customer and period, or \"drop\""
                                .to_owned(),
                        });
                    }
                }
            }
            sink(Row {
                customer: customers[i],
                day,
                amount,
                tag: tags.as_ref().map_or(0, |t| t[i]),
                link: links.as_ref().map_or(NO_LINK, |t| t[i]),
            });
        }
        self.report.rows_read += n as u64;
        Ok(())
    }

    /// Moves the held rows to the partition files (opening them the first time).
    fn spill_rows(&mut self) -> Result<()> {
        if self.spill.is_none() {
            let partitions =
                super::spill::partition_count(self.spill_at, self.rows_hint, self.report.rows_read);
            self.spill = Some(super::spill::Spill::create(partitions)?);
        }
        if let Some(spill) = self.spill.as_mut() {
            spill.write(&self.rows)?;
        }
        self.rows.clear();
        Ok(())
    }

    /// The RFM summary of everything pushed ([`super::summary::rfm_summary`]), in memory or,
    /// once the rows were spilled, one partition at a time (the same result: each customer
    /// lives in one partition, and its rows are summarised in the same order).
    ///
    /// # Errors
    /// As [`super::summary::rfm_summary`]; an I/O failure of the spill files is an
    /// [`Error::InvalidColumn`] naming `"(spill)"`.
    pub fn rfm_summary(
        mut self,
        unit: super::TimeUnit,
        observation_end: Option<i32>,
    ) -> Result<(super::summary::Summary, Report)> {
        if self.spill.is_none() {
            return super::summary::rfm_summary(&self.finish(), unit, observation_end);
        }
        self.spill_rows()?;
        let Some(spill) = self.spill.take() else {
            return Err(Error::InvalidColumn {
                column: "(spill)".to_owned(),
                problem: "the spill files are missing (a bug)".to_owned(),
            });
        };
        let (keys, rank) = ranked_keys(self.keys);
        let has_amount = self.columns.amount.is_some();
        spill.rfm_summary(keys, rank, has_amount, self.report, unit, observation_end)
    }

    /// Numbers integer customer ids by their offset from `lo` (`slots` of them: the ids are
    /// known to lie in `lo..lo + slots`) instead of in first-seen order: no table, and the
    /// indices are in key order. For a consumer of [`Ingest::visit`] that knows the range
    /// (from Parquet statistics) and checks [`Ingest::direct_missed`] after each batch; call
    /// it before the first batch, with a customer column of an integer type.
    pub(super) fn direct_ids(&mut self, lo: i64, slots: usize) {
        self.keys = KeyMap::Int(IntKeys {
            direct: Some((lo, slots.min(u32::MAX as usize - 1))),
            ..IntKeys::default()
        });
    }

    /// Whether an id fell outside the range of [`Ingest::direct_ids`] (then the indices of
    /// that batch are meaningless).
    pub(super) fn direct_missed(&self) -> bool {
        matches!(&self.keys, KeyMap::Int(k) if k.missed)
    }

    /// The smallest id of [`Ingest::direct_ids`] (index `i` is the id `base + i`), if set.
    pub(super) fn direct_base(&self) -> Option<i64> {
        match &self.keys {
            KeyMap::Int(k) => k.direct.map(|(base, _)| base),
            _ => None,
        }
    }

    /// The number of distinct customers seen so far (the customer indices are `0..` this);
    /// with [`Ingest::direct_ids`], the number of slots.
    pub fn customer_count(&self) -> usize {
        match &self.keys {
            KeyMap::Unset => 0,
            KeyMap::Int(IntKeys {
                direct: Some((_, slots)),
                ..
            }) => *slots,
            KeyMap::Int(k) => k.count,
            KeyMap::Str(_, v) => v.len(),
        }
    }

    /// Whether the log has an amount column.
    pub(super) fn has_amount(&self) -> bool {
        self.columns.amount.is_some()
    }

    /// The customer keys in ascending order, the first-seen index of the customer at each
    /// rank, and the report so far (for consumers of [`Ingest::visit`]).
    pub(super) fn into_ordered_keys(self) -> (Keys, Vec<u32>, Report) {
        let (keys, order) = ordered_keys(self.keys);
        (keys, order, self.report)
    }

    /// The report so far (for consumers of [`Ingest::visit`] that number the keys
    /// themselves, with [`Ingest::direct_ids`]).
    pub(super) fn into_report(self) -> Report {
        self.report
    }

    /// The report so far and the values of the tag column (indexed by [`Row::tag`]), for
    /// consumers of [`Ingest::visit`] that need no customer keys.
    pub(super) fn into_report_and_tags(self) -> (Report, Vec<Box<str>>) {
        (self.report, self.tags.values)
    }

    fn intern_keys(&mut self, array: &ArrayRef, offset: usize) -> Result<Vec<u32>> {
        let column = &self.columns.customer_id;
        let array = match array.data_type() {
            DataType::Dictionary(_, v) => cast(array, v, column)?,
            _ => array.clone(),
        };
        first_null(&array, column, offset, "null")?;
        let mut out = Vec::with_capacity(array.len());
        match array.data_type() {
            DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => {
                if matches!(self.keys, KeyMap::Unset) {
                    self.keys = KeyMap::Str(FxMap::default(), Vec::new());
                }
                let KeyMap::Str(map, values) = &mut self.keys else {
                    return Err(mixed_keys(column));
                };
                let mut intern = |s: &str| -> u32 {
                    if let Some(&k) = map.get(s) {
                        return k;
                    }
                    let k = values.len() as u32;
                    map.insert(s.into(), k);
                    values.push(s.into());
                    k
                };
                match array.data_type() {
                    DataType::Utf8 => out.extend(
                        array
                            .as_string::<i32>()
                            .iter()
                            .map(|s| intern(s.unwrap_or_default())),
                    ),
                    DataType::LargeUtf8 => out.extend(
                        array
                            .as_string::<i64>()
                            .iter()
                            .map(|s| intern(s.unwrap_or_default())),
                    ),
                    _ => out.extend(
                        array
                            .as_string_view()
                            .iter()
                            .map(|s| intern(s.unwrap_or_default())),
                    ),
                }
            }
            _ => {
                let ints = int_keys(&array, column, offset)?;
                if matches!(self.keys, KeyMap::Unset) {
                    self.keys = KeyMap::Int(IntKeys::default());
                }
                let KeyMap::Int(keys) = &mut self.keys else {
                    return Err(mixed_keys(column));
                };
                keys.intern_all(&ints, offset, &mut out);
            }
        }
        if let KeyMap::Int(k) = &self.keys {
            check_key_count(k.count, column)?;
        }
        if let KeyMap::Str(_, v) = &self.keys {
            check_key_count(v.len(), column)?;
        }
        Ok(out)
    }

    /// The validated log, customers renumbered in key order, rows sorted by customer, day and
    /// amount.
    pub fn finish(self) -> Log {
        let (keys, rank) = ranked_keys(self.keys);
        let mut rows = self.rows;
        for r in &mut rows {
            r.customer = rank[r.customer as usize];
        }
        drop(rank);
        let rows = sort_rows(rows, keys.len());

        Log {
            keys,
            rows,
            tags: self.tags.values,
            tag_rows: self.tags.first_rows,
            links: self.links.values,
            has_amount: self.columns.amount.is_some(),
            report: self.report,
            customer_column: self.columns.customer_id,
        }
    }
}

/// The keys in ascending order and, for each first-seen index, its rank.
fn ranked_keys(keys: KeyMap) -> (Keys, Vec<u32>) {
    let (keys, order) = ordered_keys(keys);
    let mut rank = vec![0u32; order.len()];
    for (r, &i) in order.iter().enumerate() {
        rank[i as usize] = r as u32;
    }
    (keys, rank)
}

/// The keys in ascending order and, at each rank, the key's first-seen index.
fn ordered_keys(keys: KeyMap) -> (Keys, Vec<u32>) {
    match keys {
        KeyMap::Unset => (Keys::Int(Vec::new()), Vec::new()),
        KeyMap::Int(k) => match k.dense {
            // the direct table is already in key order: no sort needed
            Some((base, table)) => {
                let mut order = Vec::with_capacity(k.count);
                let mut sorted = Vec::with_capacity(k.count);
                for (offset, &slot) in table.iter().enumerate() {
                    if slot != EMPTY_SLOT {
                        order.push(slot);
                        sorted.push(base + offset as i64);
                    }
                }
                (Keys::Int(sorted), order)
            }
            None => {
                let (sorted, order) = order_by(&k.values, |a, b| a.cmp(b));
                (Keys::Int(sorted), order)
            }
        },
        KeyMap::Str(_, values) => {
            let (sorted, order) = order_by(&values, |a, b| a.as_bytes().cmp(b.as_bytes()));
            (Keys::Str(sorted), order)
        }
    }
}

/// Sorts rows by customer, day and amount.
///
/// The customers are `0..customers`, so the rows are first distributed to their customer in
/// linear time by a counting sort (a histogram, then one scatter into a new vector: the writes
/// are independent, so the memory system overlaps them; an in-place permutation was measured
/// twice as slow, every swap waiting on a cache miss); then each customer's few rows are sorted
/// by day and amount, on both cores.
pub(super) fn sort_rows(rows: Vec<Row>, customers: usize) -> Vec<Row> {
    let mut next = vec![0usize; customers + 1];
    for r in &rows {
        next[r.customer as usize + 1] += 1;
    }
    for b in 1..next.len() {
        next[b] += next[b - 1];
    }
    let blank = Row {
        customer: 0,
        day: 0,
        amount: 0.0,
        tag: 0,
        link: NO_LINK,
    };
    let mut out = vec![blank; rows.len()];
    for r in &rows {
        let slot = &mut next[r.customer as usize];
        out[*slot] = *r;
        *slot += 1;
    }
    drop(rows);
    drop(next);
    let mut rows = out;
    sort_within_customers(&mut rows);
    rows
}

/// Sorts each customer's rows (rows already grouped by customer) by day, then amount; both
/// cores, split at a customer boundary.
pub(super) fn sort_within_customers(rows: &mut [Row]) {
    let by_day = |a: &Row, b: &Row| a.day.cmp(&b.day).then(a.amount.total_cmp(&b.amount));
    let sort_blocks = |part: &mut [Row]| {
        let mut i = 0;
        while i < part.len() {
            let c = part[i].customer;
            let mut j = i + 1;
            while j < part.len() && part[j].customer == c {
                j += 1;
            }
            if j - i > 1 {
                part[i..j].sort_unstable_by(by_day);
            }
            i = j;
        }
    };
    let mut mid = rows.len() / 2;
    while mid > 0 && mid < rows.len() && rows[mid].customer == rows[mid - 1].customer {
        mid += 1;
    }
    let at = mid.min(rows.len());
    let (left, right) = rows.split_at_mut(at);
    if right.len() > 100_000 {
        std::thread::scope(|s| {
            s.spawn(|| sort_blocks(right));
            sort_blocks(left);
        });
    } else {
        sort_blocks(left);
        sort_blocks(right);
    }
}

/// Sorts `values`; returns them sorted and, at each rank, the value's index in `values`.
fn order_by<T: Clone>(
    values: &[T],
    cmp: impl Fn(&T, &T) -> std::cmp::Ordering,
) -> (Vec<T>, Vec<u32>) {
    let mut order: Vec<u32> = (0..values.len() as u32).collect();
    order.sort_unstable_by(|&a, &b| cmp(&values[a as usize], &values[b as usize]));
    let sorted = order.iter().map(|&i| values[i as usize].clone()).collect();
    (sorted, order)
}

fn check_key_count(n: usize, column: &str) -> Result<()> {
    if n >= u32::MAX as usize {
        return Err(Error::InvalidColumn {
            column: column.to_owned(),
            problem: "more than 4,294,967,294 distinct customers; split the log".to_owned(),
        });
    }
    Ok(())
}

fn mixed_keys(column: &str) -> Error {
    Error::InvalidColumn {
        column: column.to_owned(),
        problem: "the batches mix integer and text customer ids; cast the column to one type"
            .to_owned(),
    }
}

fn cast(array: &ArrayRef, to: &DataType, column: &str) -> Result<ArrayRef> {
    if array.data_type() == to {
        return Ok(array.clone());
    }
    arrow_cast::cast(array, to).map_err(|e| Error::InvalidColumn {
        column: column.to_owned(),
        problem: format!("cannot convert {} to {to}: {e}", array.data_type()),
    })
}

/// The first null of `array`, as an [`Error::InvalidRow`].
fn first_null(array: &ArrayRef, column: &str, offset: usize, what: &str) -> Result<()> {
    if array.null_count() == 0 {
        return Ok(());
    }
    let i = (0..array.len()).find(|&i| array.is_null(i)).unwrap_or(0);
    Err(Error::InvalidRow {
        column: column.to_owned(),
        row: offset + i,
        value: what.to_owned(),
        problem: format!("drop or fill the rows with a missing {column} before calling"),
    })
}

/// The ids of an integer column as i64 (the column's own buffer when it is Int64).
fn int_keys(array: &ArrayRef, column: &str, offset: usize) -> Result<ScalarBuffer<i64>> {
    if let DataType::UInt64 = array.data_type() {
        let a = array.as_primitive::<UInt64Type>();
        return a
            .values()
            .iter()
            .enumerate()
            .map(|(i, &v)| {
                i64::try_from(v).map_err(|_| Error::InvalidRow {
                    column: column.to_owned(),
                    row: offset + i,
                    value: v.to_string(),
                    problem: "customer ids above 2^63 - 1 are not supported; cast the ids to text"
                        .to_owned(),
                })
            })
            .collect::<Result<Vec<i64>>>()
            .map(ScalarBuffer::from);
    }
    if let DataType::Float32 | DataType::Float64 = array.data_type() {
        // integer ids that became floats (pandas turns an int column with a gap into float64)
        let a = cast(array, &DataType::Float64, column)?;
        return a
            .as_primitive::<Float64Type>()
            .values()
            .iter()
            .enumerate()
            .map(|(i, &v)| {
                if v.fract() == 0.0 && v.abs() < 9.0e15 {
                    Ok(v as i64)
                } else {
                    Err(Error::InvalidRow {
                        column: column.to_owned(),
                        row: offset + i,
                        value: v.to_string(),
                        problem: "customer ids must be whole numbers or text".to_owned(),
                    })
                }
            })
            .collect::<Result<Vec<i64>>>()
            .map(ScalarBuffer::from);
    }
    let a = cast(array, &DataType::Int64, column)?;
    // an Int64 column's own buffer (no copy)
    Ok(a.as_primitive::<Int64Type>().values().clone())
}

/// The amounts as f64 (the column's own buffer when it is Float64).
fn to_amounts(array: &ArrayRef, column: &str, offset: usize) -> Result<ScalarBuffer<f64>> {
    let ok = matches!(
        array.data_type(),
        DataType::Float16
            | DataType::Float32
            | DataType::Float64
            | DataType::Int8
            | DataType::Int16
            | DataType::Int32
            | DataType::Int64
            | DataType::UInt8
            | DataType::UInt16
            | DataType::UInt32
            | DataType::UInt64
            | DataType::Decimal32(_, _)
            | DataType::Decimal64(_, _)
            | DataType::Decimal128(_, _)
            | DataType::Decimal256(_, _)
    );
    if !ok {
        return Err(Error::InvalidColumn {
            column: column.to_owned(),
            problem: format!(
                "amounts of type {} are not supported; pass numbers (float, int or decimal)",
                array.data_type()
            ),
        });
    }
    first_null(array, column, offset, "null")?;
    let a = cast(array, &DataType::Float64, column)?;
    let values = a.as_primitive::<Float64Type>().values();
    if let Some(i) = values.iter().position(|v| !v.is_finite()) {
        return Err(Error::InvalidRow {
            column: column.to_owned(),
            row: offset + i,
            value: values[i].to_string(),
            problem: format!(
                "amounts must be finite numbers; drop or fill the row before calling (a NaN \
                 {column} is usually a missing value)"
            ),
        });
    }
    Ok(values.clone())
}

fn show_day(day: i32) -> String {
    super::unit::date_from_days(day).map_or_else(|| format!("day {day}"), |d| d.to_string())
}

/// A time zone of an Arrow timestamp: a fixed offset (`+05:30`) or an IANA name.
enum Zone {
    Fixed(i64),
    Named(chrono_tz::Tz),
}

fn parse_zone(tz: &str, column: &str) -> Result<Zone> {
    let t = tz.trim();
    if t.eq_ignore_ascii_case("utc") || t == "Z" {
        return Ok(Zone::Fixed(0));
    }
    if let Some(rest) = t.strip_prefix(['+', '-']) {
        let sign = if t.starts_with('-') { -1 } else { 1 };
        let digits: String = rest.chars().filter(char::is_ascii_digit).collect();
        if digits.len() == 4 || digits.len() == 2 {
            let h: i64 = digits[..2].parse().unwrap_or(0);
            let m: i64 = if digits.len() == 4 {
                digits[2..].parse().unwrap_or(0)
            } else {
                0
            };
            return Ok(Zone::Fixed(sign * (h * 3600 + m * 60)));
        }
    }
    t.parse::<chrono_tz::Tz>()
        .map(Zone::Named)
        .map_err(|_| Error::InvalidColumn {
            column: column.to_owned(),
            problem: format!("unknown time zone {tz:?}; use an IANA name or an offset like +05:30"),
        })
}

fn local_day(secs: i64, zone: &Zone) -> i64 {
    let offset = match zone {
        Zone::Fixed(o) => *o,
        Zone::Named(tz) => chrono::DateTime::from_timestamp(secs, 0).map_or(0, |utc| {
            i64::from(
                tz.offset_from_utc_datetime(&utc.naive_utc())
                    .fix()
                    .local_minus_utc(),
            )
        }),
    };
    (secs + offset).div_euclid(86_400)
}

fn day_i32(day: i64, column: &str, row: usize) -> Result<i32> {
    i32::try_from(day).map_err(|_| Error::InvalidRow {
        column: column.to_owned(),
        row,
        value: format!("day {day} since 1970-01-01"),
        problem: "the date is out of range; check the unit of the timestamps".to_owned(),
    })
}

/// Dates (days since 1970-01-01, in the timestamp's own time zone) of a date column: a Date32
/// column's own buffer (no copy), else [`days_vec`].
fn to_days(array: &ArrayRef, column: &str, offset: usize) -> Result<ScalarBuffer<i32>> {
    if let DataType::Date32 = array.data_type() {
        first_null(array, column, offset, "null")?;
        return Ok(array.as_primitive::<Date32Type>().values().clone());
    }
    days_vec(array, column, offset).map(ScalarBuffer::from)
}

/// Dates (days since 1970-01-01, in the timestamp's own time zone) of a date column.
fn days_vec(array: &ArrayRef, column: &str, offset: usize) -> Result<Vec<i32>> {
    let array = match array.data_type() {
        DataType::Dictionary(_, v) => cast(array, v, column)?,
        _ => array.clone(),
    };
    first_null(&array, column, offset, "null")?;
    let ticks_per_day: i64 = match array.data_type() {
        DataType::Timestamp(ArrowTimeUnit::Second, _) => 86_400,
        DataType::Timestamp(ArrowTimeUnit::Millisecond, _) => 86_400_000,
        DataType::Timestamp(ArrowTimeUnit::Microsecond, _) => 86_400_000_000,
        DataType::Timestamp(ArrowTimeUnit::Nanosecond, _) => 86_400_000_000_000,
        _ => 0,
    };
    match array.data_type() {
        DataType::Date32 => Ok(array.as_primitive::<Date32Type>().values().to_vec()),
        DataType::Date64 => array
            .as_primitive::<Date64Type>()
            .values()
            .iter()
            .enumerate()
            .map(|(i, &ms)| day_i32(ms.div_euclid(86_400_000), column, offset + i))
            .collect(),
        DataType::Timestamp(unit, tz) => {
            let ticks: &[i64] = match unit {
                ArrowTimeUnit::Second => array.as_primitive::<TimestampSecondType>().values(),
                ArrowTimeUnit::Millisecond => {
                    array.as_primitive::<TimestampMillisecondType>().values()
                }
                ArrowTimeUnit::Microsecond => {
                    array.as_primitive::<TimestampMicrosecondType>().values()
                }
                ArrowTimeUnit::Nanosecond => {
                    array.as_primitive::<TimestampNanosecondType>().values()
                }
            };
            match tz {
                None => ticks
                    .iter()
                    .enumerate()
                    .map(|(i, &t)| day_i32(t.div_euclid(ticks_per_day), column, offset + i))
                    .collect(),
                Some(tz) => {
                    let zone = parse_zone(tz, column)?;
                    let per_sec = ticks_per_day / 86_400;
                    ticks
                        .iter()
                        .enumerate()
                        .map(|(i, &t)| {
                            day_i32(local_day(t.div_euclid(per_sec), &zone), column, offset + i)
                        })
                        .collect()
                }
            }
        }
        DataType::Utf8 => parse_dates(array.as_string::<i32>().iter(), column, offset),
        DataType::LargeUtf8 => parse_dates(array.as_string::<i64>().iter(), column, offset),
        DataType::Utf8View => parse_dates(array.as_string_view().iter(), column, offset),
        other => Err(Error::InvalidColumn {
            column: column.to_owned(),
            problem: format!(
                "dates of type {other} are not supported; pass dates, timestamps or ISO \
                 strings (YYYY-MM-DD)"
            ),
        }),
    }
}

fn parse_dates<'a>(
    values: impl Iterator<Item = Option<&'a str>>,
    column: &str,
    offset: usize,
) -> Result<Vec<i32>> {
    values
        .enumerate()
        .map(|(i, s)| {
            let s = s.unwrap_or_default();
            parse_iso_day(s).ok_or_else(|| Error::InvalidRow {
                column: column.to_owned(),
                row: offset + i,
                value: format!("{s:?}"),
                problem: "not an ISO date (YYYY-MM-DD, optionally followed by a time); fix or \
                          drop the row, or parse the column to dates before calling"
                    .to_owned(),
            })
        })
        .collect()
}

/// `YYYY-MM-DD`, optionally followed by `T` or a blank and a time (the date as written).
pub fn parse_iso_day(s: &str) -> Option<i32> {
    let s = s.trim();
    let b = s.as_bytes();
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    if b.len() > 10 && b[10] != b'T' && b[10] != b' ' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        let t = s.get(r)?;
        if t.bytes().all(|c| c.is_ascii_digit()) {
            t.parse().ok()
        } else {
            None
        }
    };
    let y = num(0..4)?;
    let m = num(5..7)?;
    let d = num(8..10)?;
    let date = NaiveDate::from_ymd_opt(i32::try_from(y).ok()?, m, d)?;
    if b.len() > 10 {
        // the rest must look like a time; the date is taken as written (its own zone)
        let rest = &s[11..];
        if rest.len() < 5 || !rest.as_bytes()[..2].iter().all(u8::is_ascii_digit) {
            return None;
        }
    }
    Some(days_from_date(date))
}

#[cfg(test)]
mod tests {
    use super::super::testing::columns;
    use super::*;
    use arrow_array::{Float64Array, Int64Array, StringArray, TimestampSecondArray};
    use arrow_schema::{Field, Schema};
    use std::sync::Arc;

    fn batch(ids: Vec<i64>, dates: Vec<&str>, amounts: Vec<f64>) -> RecordBatch {
        let schema = Arc::new(Schema::new(vec![
            Field::new("customer_id", DataType::Int64, false),
            Field::new("date", DataType::Utf8, false),
            Field::new("amount", DataType::Float64, false),
        ]));
        RecordBatch::try_new(
            schema,
            vec![
                Arc::new(Int64Array::from(ids)),
                Arc::new(StringArray::from(dates)),
                Arc::new(Float64Array::from(amounts)),
            ],
        )
        .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn sorts_by_customer_day_amount_with_dates_before_1970() {
        let row = |customer, day, amount| Row {
            customer,
            day,
            amount,
            tag: 0,
            link: NO_LINK,
        };
        let rows = vec![
            row(1, 3, 1.0),
            row(0, 7, 2.0),
            row(1, -5, 9.0),
            row(1, -5, -1.0),
            row(0, -400, 5.0),
        ];
        let rows = sort_rows(rows, 2);
        let got: Vec<(u32, i32, f64)> =
            rows.iter().map(|r| (r.customer, r.day, r.amount)).collect();
        assert_eq!(
            got,
            vec![
                (0, -400, 5.0),
                (0, 7, 2.0),
                (1, -5, -1.0),
                (1, -5, 9.0),
                (1, 3, 1.0)
            ]
        );
    }

    #[test]
    fn counting_sort_equals_a_comparison_sort_on_many_rows() {
        // 300,000 pseudo-random rows (enough to take the two-thread path), checked against the
        // standard library's comparison sort on (customer, day, amount)
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let rows: Vec<Row> = (0..300_000)
            .map(|_| Row {
                customer: (next() % 5_000) as u32,
                day: (next() % 40) as i32 - 20,
                amount: (next() % 7) as f64 - 3.0,
                tag: 0,
                link: NO_LINK,
            })
            .collect();
        let mut expected = rows.clone();
        expected.sort_by(|a, b| {
            (a.customer, a.day)
                .cmp(&(b.customer, b.day))
                .then(a.amount.total_cmp(&b.amount))
        });
        let rows = sort_rows(rows, 5_000);
        assert_eq!(rows, expected);
    }

    #[test]
    fn integer_ids_dense_then_sparse_keep_their_identity() {
        let mut k = IntKeys::default();
        let mut out = Vec::new();
        k.intern_all(&[5, 3, 5], 0, &mut out);
        assert!(k.dense.is_some());
        // the direct table holds the ids: no list of them is kept beside it
        assert!(k.values.is_empty());
        assert_eq!(k.count, 2);
        k.intern_all(&[-2, 3], 3, &mut out);
        k.intern_all(&[1_000_000_000_000, 5, -2], 5, &mut out);
        assert!(k.dense.is_none());
        k.intern_all(&[3, 1_000_000_000_000, 7], 8, &mut out);
        assert_eq!(out, vec![0, 1, 0, 2, 1, 3, 0, 2, 1, 3, 4]);
        assert_eq!(k.values, vec![5, 3, -2, 1_000_000_000_000, 7]);
        assert_eq!(k.count, 5);
    }

    #[test]
    fn parses_iso_dates() {
        // 1997-01-01 is day 9862 since 1970-01-01 (27 years, 7 of them leap: 27*365 + 7)
        assert_eq!(parse_iso_day("1997-01-01"), Some(27 * 365 + 7));
        assert_eq!(parse_iso_day("1997-01-01T23:59:00"), Some(27 * 365 + 7));
        assert_eq!(parse_iso_day("1997-02-30"), None);
        assert_eq!(parse_iso_day("19970101"), None);
        assert_eq!(parse_iso_day("1997-01-01x"), None);
    }

    #[test]
    fn rows_are_numbered_over_batches() {
        let mut ing = Ingest::new(columns(), Policy::default());
        assert!(ing
            .push(&batch(
                vec![1, 2],
                vec!["1997-01-01", "1997-01-02"],
                vec![1.0, 2.0]
            ))
            .is_ok());
        let err = ing.push(&batch(
            vec![3, 4],
            vec!["1997-01-03", "1997-13-01"],
            vec![1.0, 2.0],
        ));
        match err {
            Err(Error::InvalidRow {
                column, row, value, ..
            }) => {
                assert_eq!(
                    (column.as_str(), row, value.as_str()),
                    ("date", 3, "\"1997-13-01\"")
                );
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn nan_amount_names_the_row() {
        let mut ing = Ingest::new(columns(), Policy::default());
        let err = ing.push(&batch(
            vec![1, 2],
            vec!["1997-01-01", "1997-01-02"],
            vec![1.0, f64::NAN],
        ));
        assert!(
            matches!(err, Err(Error::InvalidRow { row: 1, .. })),
            "{err:?}"
        );
    }

    #[test]
    fn tz_aware_timestamps_give_the_local_date() {
        // 1997-01-01T03:00Z is 1996-12-31 22:00 in New York (UTC-5 in winter).
        let secs = i64::from(27 * 365 + 7) * 86_400 + 3 * 3600;
        let ts: ArrayRef =
            Arc::new(TimestampSecondArray::from(vec![secs]).with_timezone("America/New_York"));
        let days = days_vec(&ts, "date", 0).unwrap_or_default();
        assert_eq!(days, vec![27 * 365 + 6]);
        let ts: ArrayRef = Arc::new(TimestampSecondArray::from(vec![secs]).with_timezone("+05:30"));
        assert_eq!(
            days_vec(&ts, "date", 0).unwrap_or_default(),
            vec![27 * 365 + 7]
        );
    }
}
