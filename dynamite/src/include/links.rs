//! The set writes of a many-to-many relation (`has_many(through = J, ..)`):
//! `replace`, `add` and `remove` of the far keys a parent links to.
//!
//! One call: a consistent GetItem of the parent (it must exist; it holds
//! the set's guard), a read of the junction rows (the include resolver's
//! read of the first hop, every page), then the difference written with
//! conditional writes (`attribute_not_exists` to add a junction row,
//! `attribute_exists` to remove one) plus the guard update, in ONE
//! TransactWriteItems when it fits in 100 operations, else in chunks of 99
//! writes and the guard, each atomic, applied in order.
//!
//! The guard is one attribute on the parent item,
//! `_dynamite_links_<field>` = `"<version>:<links>"`: every set write
//! requires the version it read and bumps it, so two concurrent writers
//! cannot both apply (the second is cancelled, re-reads and retries), and a
//! junction read whose row count differs from the guard's (an index not
//! caught up yet) is read again before anything is written.

use std::collections::{HashMap, HashSet};

use aws_sdk_dynamodb::types::{
    ConditionCheck, ReturnValuesOnConditionCheckFailure, TransactWriteItem, Update,
};

use super::resolve::{self, IncludeOptions, NodeSpec, value_key};
use crate::client::Dynamite;
use crate::error::{Error, Result};
use crate::expr::ExpressionBuilder;
use crate::model::{RelationMeta, TableMeta};
use crate::read::canonical::KeyId;
use crate::value::{AttributeValue, Item, describe_key_in, is_empty_key_value};
use crate::write::cancel::OnCondition;
use crate::write::{MAX_TRANSACTION_ITEMS, Transaction};

/// Adds one junction operation to a transaction (monomorphised for the
/// junction model by the derive).
pub(crate) type JunctionWrite = for<'a, 'b> fn(&'b mut Transaction<'a>, Item) -> Result<()>;

/// How the junction rows of a relation are created and deleted.
#[derive(Clone, Copy)]
pub(crate) struct Junction {
    pub(crate) create: JunctionWrite,
    pub(crate) delete: JunctionWrite,
}

/// Adds the creation of a junction row (only its two join attributes set)
/// to a transaction: the set writes of `has_many(through = J, ..)`.
pub(crate) fn junction_create<J: crate::model::Table>(
    tx: &mut Transaction<'_>,
    item: Item,
) -> Result<()> {
    let row = J::from_item(item).map_err(|e| {
        Error::Config(format!(
            "junction `{}`: a link written by replace / add has only its two keys, so the \
             model's other fields must be optional ({e})",
            J::META.model
        ))
    })?;
    tx.create(row);
    Ok(())
}

/// Adds the deletion of a junction row, by key, to a transaction.
pub(crate) fn junction_delete<J: crate::model::Table>(
    tx: &mut Transaction<'_>,
    key: Item,
) -> Result<()> {
    tx.delete_key_item::<J>(key);
    Ok(())
}

/// What a set write does with the far keys it is given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Change {
    /// The links become exactly these.
    Replace,
    /// These are linked too.
    Add,
    /// These are unlinked.
    Remove,
}

/// Attempts of a set write (a cancellation re-reads and tries again).
pub(crate) const MAX_ATTEMPTS: u32 = 5;
/// Reads of the junction while its row count disagrees with the guard.
const MAX_STALE_READS: u32 = 4;

/// The far join values a set write changed (see `SetChange`).
#[derive(Debug, Default)]
pub(crate) struct Applied {
    pub(crate) added: Vec<AttributeValue>,
    pub(crate) removed: Vec<AttributeValue>,
    pub(crate) unchanged: Vec<AttributeValue>,
    /// Each TransactWriteItems applied: (added, removed) far values.
    pub(crate) chunks: Vec<(Vec<AttributeValue>, Vec<AttributeValue>)>,
    pub(crate) attempts: u32,
}

/// What a set write of a many-to-many relation changed (`replace`, `add`,
/// `remove`), by far key.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct SetChange<K> {
    /// Far keys this call linked (junction rows it created).
    pub added: Vec<K>,
    /// Far keys this call unlinked (junction rows it deleted).
    pub removed: Vec<K>,
    /// Far keys given that needed no write (already linked for `replace` /
    /// `add`, not linked for `remove`).
    pub unchanged: Vec<K>,
    /// Each TransactWriteItems that applied, in order, with what it linked
    /// and unlinked: one when the change fits in 100 operations (99 writes
    /// and the guard), else one per chunk.
    pub chunks: Vec<Chunk<K>>,
    /// Attempts taken (a cancelled transaction re-reads and tries again).
    pub attempts: u32,
}

/// One applied transaction of a [`SetChange`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Chunk<K> {
    /// Far keys it linked.
    pub added: Vec<K>,
    /// Far keys it unlinked.
    pub removed: Vec<K>,
}

impl Applied {
    /// The typed report, far values decoded as `K`.
    pub(crate) fn typed<K: crate::value::Attribute>(
        self,
        model: &'static TableMeta,
    ) -> Result<SetChange<K>> {
        let decode = |values: Vec<AttributeValue>| -> Result<Vec<K>> {
            values
                .iter()
                .map(|v| {
                    K::from_value(v)
                        .map_err(|e| crate::model::decode_error(model, model.partition_key.name, e))
                })
                .collect()
        };
        let mut chunks = Vec::with_capacity(self.chunks.len());
        for (added, removed) in self.chunks {
            chunks.push(Chunk {
                added: decode(added)?,
                removed: decode(removed)?,
            });
        }
        Ok(SetChange {
            added: decode(self.added)?,
            removed: decode(self.removed)?,
            unchanged: decode(self.unchanged)?,
            chunks,
            attempts: self.attempts,
        })
    }
}

/// The stored attributes a relation's set writes use.
struct Layout {
    near: &'static RelationMeta,
    junction: &'static TableMeta,
    /// The far model.
    far: &'static TableMeta,
    parent_attr: &'static str,
    foreign_attr: &'static str,
    far_attr: &'static str,
    guard: String,
}

fn layout(owner: &'static TableMeta, relation: &'static RelationMeta) -> Result<Layout> {
    let config = |why: &str| {
        Error::Config(format!(
            "relation `{}.{}`: {why}",
            owner.model, relation.field
        ))
    };
    let through = relation
        .through
        .ok_or_else(|| config("set writes need a `has_many(through = ..)` relation"))?;
    let junction = (through.near.target)();
    let (parent_attr, foreign_attr) = through
        .near
        .join(owner)
        .ok_or_else(|| config("its foreign key is not a persisted field"))?;
    let (far_attr, _) = through
        .far
        .join(junction)
        .ok_or_else(|| config("its far key is not a persisted field"))?;
    // A pair must be one item, so that a conditional write can refuse a
    // duplicate link and a delete can name it.
    let mut key: Vec<&str> = match junction.single_table {
        Some(layout) => layout.key_fields.to_vec(),
        None => junction.key_names().collect(),
    };
    key.sort_unstable();
    let mut pair = vec![foreign_attr, far_attr];
    pair.sort_unstable();
    if junction.deleted_at.is_some() {
        return Err(config(&format!(
            "set writes delete junction rows, and `{}` has `deleted_at` (a soft-deleted link \
             would still hold its key)",
            junction.model
        )));
    }
    if key != pair {
        return Err(config(&format!(
            "set writes need the junction `{}` keyed by its two join fields (`{foreign_attr}` and \
             `{far_attr}`, as primary and sort key or key templates), so that one pair is one item",
            junction.model
        )));
    }
    Ok(Layout {
        near: &through.near,
        junction,
        far: (through.far.target)(),
        parent_attr,
        foreign_attr,
        far_attr,
        guard: format!("_dynamite_links_{}", relation.field),
    })
}

/// The guard's version and link count (`(0, None)` when never written).
fn parse_guard(value: Option<&AttributeValue>) -> (u64, Option<usize>) {
    let Some(AttributeValue::S(text)) = value else {
        return (0, None);
    };
    let mut parts = text.splitn(2, ':');
    let version = parts.next().and_then(|v| v.parse().ok()).unwrap_or(0);
    let count = parts.next().and_then(|c| c.parse().ok());
    (version, count)
}

/// The parent's item (consistent), or `NotFound`.
async fn read_parent(
    db: &Dynamite,
    owner: &'static TableMeta,
    table: &str,
    key: &Item,
) -> Result<Item> {
    let item = crate::read::exec::get_item(db, table, key.clone(), None, true).await?;
    // Visible: this model's, not soft-deleted, not expired.
    item.filter(|i| owner.is_visible(i))
        .ok_or_else(|| Error::NotFound {
            table: table.to_owned(),
            key: describe_key_in(table, key),
        })
}

/// A link: the far join value and the key of its junction row.
type Link = (AttributeValue, Item);

/// The parent's links: far value -> the junction row's key.
async fn read_links(
    db: &Dynamite,
    owner: &'static TableMeta,
    layout: &Layout,
    parent: &Item,
) -> Result<Vec<Link>> {
    // The far join attribute is read too: in a shared table it is a
    // field, not one of the key attributes (`pk`, `sk`) always fetched.
    let options = IncludeOptions {
        projection: Some(vec![layout.far_attr]),
        ..IncludeOptions::default()
    };
    let spec = NodeSpec::new(db.registry(), 0, owner, layout.near, &options, Vec::new())?;
    let loaded = resolve::load_for(
        db,
        std::slice::from_ref(parent),
        std::slice::from_ref(&spec),
    )
    .await?;
    let mut seen = HashSet::new();
    let mut links = Vec::new();
    for row in loaded.children_of(&spec, parent) {
        let Some(far) = row.get(layout.far_attr) else {
            continue;
        };
        if value_key(far).is_some_and(|k| seen.insert(k)) {
            links.push((far.clone(), layout.junction.key_of(row)?));
        }
    }
    Ok(links)
}

/// The guard update of one transaction: `"<version + 1>:<links>"`,
/// conditioned on the parent existing with the guard as read (`old`).
fn guard_update(
    owner: &'static TableMeta,
    table: &str,
    key: &Item,
    guard: &str,
    old: Option<&AttributeValue>,
    links: usize,
) -> Result<TransactWriteItem> {
    let (version, _) = parse_guard(old);
    let mut b = ExpressionBuilder::new();
    let name = b.name(guard);
    let new = b.value(AttributeValue::S(format!("{}:{links}", version + 1)));
    let mut condition = format!("attribute_exists({})", b.name(owner.partition_key.name));
    match old {
        Some(old) => {
            let old = b.value(old.clone());
            condition.push_str(&format!(" AND {name} = {old}"));
        }
        None => condition.push_str(&format!(" AND attribute_not_exists({name})")),
    }
    if let Some(own) = crate::read::own_entity(owner) {
        condition = format!("{condition} AND {}", b.render(&own)?);
    }
    let update = Update::builder()
        .table_name(table)
        .set_key(Some(key.clone()))
        .update_expression(format!("SET {name} = {new}"))
        .condition_expression(condition)
        .set_expression_attribute_names(b.names())
        .set_expression_attribute_values(b.values())
        .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
        .build()
        .map_err(|e| Error::backend("TransactWriteItems", e))?;
    Ok(TransactWriteItem::builder().update(update).build())
}

/// Whether a cancelled set write should re-read and try again: a
/// condition failed (a link or the guard changed) or another transaction
/// was writing the same items.
fn retryable(error: &Error) -> bool {
    match error {
        Error::TransactionCanceled { reasons, added } => reasons
            .iter()
            .chain(added)
            .any(|r| r.kind.is_condition() || r.is_transaction_conflict()),
        _ => false,
    }
}

/// Replaces, adds or removes the links of the parent with key `parent_key`
/// to the far rows whose join values are `far` (deduplicated, in order).
pub(crate) async fn change(
    db: &Dynamite,
    owner: &'static TableMeta,
    relation: &'static RelationMeta,
    junction: Junction,
    parent_key: Item,
    far: Vec<(AttributeValue, Item)>,
    change: Change,
) -> Result<Applied> {
    let layout = layout(owner, relation)?;
    let parent_table = db.registry().by_meta(owner)?.table_name.clone();
    let junction_table = db.registry().by_meta(layout.junction)?.table_name.clone();
    let far_table = db.registry().by_meta(layout.far)?.table_name.clone();
    let mut seen = HashSet::new();
    let mut wanted = Vec::new();
    // The far row's key of each far value given.
    let mut far_keys: HashMap<KeyId, Item> = HashMap::new();
    for (value, far_key) in far {
        if is_empty_key_value(&value) {
            return Err(Error::MissingKey {
                table: junction_table,
                attribute: layout.far_attr.to_owned(),
            });
        }
        if let Some(k) = value_key(&value)
            && seen.insert(k.clone())
        {
            far_keys.insert(k, far_key);
            wanted.push(value);
        }
    }
    let far_rows = FarRows {
        meta: layout.far,
        table: &far_table,
        keys: &far_keys,
    };
    let mut applied = Applied::default();
    let mut added_ids: HashSet<KeyId> = HashSet::new();
    let mut removed_ids: HashSet<KeyId> = HashSet::new();
    loop {
        applied.attempts += 1;
        let attempt = applied.attempts;
        let mut parent = read_parent(db, owner, &parent_table, &parent_key).await?;
        let mut links = read_links(db, owner, &layout, &parent).await?;
        // An index read behind the guard's count is read again (bounded).
        let mut stale_reads = 1;
        while let (_, Some(count)) = parse_guard(parent.get(&layout.guard)) {
            if count == links.len() || stale_reads >= MAX_STALE_READS {
                break;
            }
            tokio::time::sleep(crate::read::exec::backoff(stale_reads)).await;
            stale_reads += 1;
            parent = read_parent(db, owner, &parent_table, &parent_key).await?;
            links = read_links(db, owner, &layout, &parent).await?;
        }
        let parent_value = parent
            .get(layout.parent_attr)
            .filter(|v| !is_empty_key_value(v))
            .cloned()
            .ok_or_else(|| Error::MissingKey {
                table: parent_table.clone(),
                attribute: layout.parent_attr.to_owned(),
            })?;
        let current: HashSet<KeyId> = links.iter().filter_map(|(v, _)| value_key(v)).collect();
        let given: HashSet<KeyId> = wanted.iter().filter_map(value_key).collect();
        let linked = |v: &AttributeValue| value_key(v).is_some_and(|k| current.contains(&k));
        // The given keys already linked / not yet; the links given / not.
        let (present, absent): (Vec<AttributeValue>, Vec<AttributeValue>) =
            wanted.iter().cloned().partition(|v| linked(v));
        let (named, others): (Vec<Link>, Vec<Link>) = links
            .iter()
            .cloned()
            .partition(|(v, _)| value_key(v).is_some_and(|k| given.contains(&k)));
        let (adds, removes, unchanged) = match change {
            Change::Replace => (absent, others, present),
            Change::Add => (absent, Vec::new(), present),
            Change::Remove => (Vec::new(), named, absent),
        };
        applied.unchanged = unchanged
            .into_iter()
            .filter(|v| value_key(v).is_none_or(|k| !added_ids.contains(&k)))
            .collect();
        if adds.is_empty() && removes.is_empty() {
            return Ok(applied);
        }
        let parent_key_item = owner.key_of(&parent)?;
        // Writes: adds (each with a check that the far row exists, unless
        // it is the parent itself, which the guard update checks) then
        // removes, chunked so that each transaction has room for the guard.
        let mut writes: Vec<Write> = Vec::new();
        for far in adds {
            let item = Item::from([
                (layout.foreign_attr.to_owned(), parent_value.clone()),
                (layout.far_attr.to_owned(), far.clone()),
            ]);
            let check = far_rows
                .key(&far)
                .filter(|key| !(far_table == parent_table && **key == parent_key_item))
                .cloned();
            writes.push(Write::Add { far, item, check });
        }
        for (far, key) in removes {
            writes.push(Write::Remove { far, key });
        }
        let chunks = chunk_writes(writes, MAX_TRANSACTION_ITEMS - 1);
        // Over several transactions, a missing far row is found before the
        // first one: nothing is written (each check still runs).
        if chunks.len() > 1 {
            far_rows.require_all(db, &chunks).await?;
        }
        let mut guard = parent.get(&layout.guard).cloned();
        let mut count = links.len();
        let mut failure = None;
        for chunk in &chunks {
            let mut tx = db.transaction();
            let mut chunk_added = Vec::new();
            let mut chunk_removed = Vec::new();
            // The far row each check (added operation) checks, in order.
            let mut checked: Vec<&Item> = Vec::new();
            for write in chunk {
                match write {
                    Write::Add { far, item, check } => {
                        (junction.create)(&mut tx, item.clone())?;
                        if let Some(key) = check {
                            tx.push_added(
                                (layout.far, far_table.clone(), key.clone()),
                                far_rows.check(key)?,
                                OnCondition::RowExists,
                                ("the linked row exists", true),
                            );
                            checked.push(key);
                        }
                        chunk_added.push(far.clone());
                    }
                    Write::Remove { far, key } => {
                        (junction.delete)(&mut tx, key.clone())?;
                        chunk_removed.push(far.clone());
                    }
                }
            }
            let links_after = count + chunk_added.len() - chunk_removed.len();
            let update = guard_update(
                owner,
                &parent_table,
                &parent_key_item,
                &layout.guard,
                guard.as_ref(),
                links_after,
            )?;
            tx.push_added(
                (owner, parent_table.clone(), parent_key_item.clone()),
                update,
                OnCondition::Guard,
                ("the link guard", false),
            );
            match tx.commit().await {
                Ok(_) => {
                    count = links_after;
                    let (version, _) = parse_guard(guard.as_ref());
                    guard = Some(AttributeValue::S(format!("{}:{links_after}", version + 1)));
                    for v in &chunk_added {
                        if value_key(v).is_some_and(|k| added_ids.insert(k)) {
                            applied.added.push(v.clone());
                        }
                    }
                    for v in &chunk_removed {
                        if value_key(v).is_some_and(|k| removed_ids.insert(k)) {
                            applied.removed.push(v.clone());
                        }
                    }
                    applied.chunks.push((chunk_added, chunk_removed));
                }
                Err(e) => {
                    failure = Some(far_rows.missing(e, &checked));
                    break;
                }
            }
        }
        let Some(error) = failure else {
            return Ok(applied);
        };
        if !retryable(&error) || attempt >= MAX_ATTEMPTS {
            if applied.chunks.is_empty() {
                return Err(error);
            }
            return Err(Error::SetPartiallyChanged {
                relation: format!("{}.{}", owner.model, relation.field),
                chunks_applied: applied.chunks.len(),
                added: applied.added,
                removed: applied.removed,
                source: Box::new(error),
            });
        }
        tokio::time::sleep(crate::read::exec::backoff(attempt)).await;
    }
}

/// One write of a set change.
enum Write {
    /// A junction row to create, and the far row key to check (`None`:
    /// the far row is the parent, which the guard update checks).
    Add {
        far: AttributeValue,
        item: Item,
        check: Option<Item>,
    },
    /// A junction row to delete, by key.
    Remove { far: AttributeValue, key: Item },
}

impl Write {
    /// Operations it takes in a transaction.
    fn operations(&self) -> usize {
        match self {
            Write::Add { check: Some(_), .. } => 2,
            _ => 1,
        }
    }
}

/// The writes in order, in chunks of at most `room` operations each.
fn chunk_writes(writes: Vec<Write>, room: usize) -> Vec<Vec<Write>> {
    let mut chunks: Vec<Vec<Write>> = Vec::new();
    let mut used = 0;
    for write in writes {
        let ops = write.operations();
        match chunks.last_mut() {
            Some(chunk) if used + ops <= room => chunk.push(write),
            _ => {
                chunks.push(vec![write]);
                used = 0;
            }
        }
        used += ops;
    }
    chunks
}

/// The far rows a set change links to: each must exist (a row of the far
/// model, not soft-deleted, not expired), or the change is
/// [`Error::NotFound`] and nothing is linked to it.
struct FarRows<'a> {
    meta: &'static TableMeta,
    table: &'a str,
    keys: &'a HashMap<KeyId, Item>,
}

impl FarRows<'_> {
    /// The far row's key of a far value given to this call.
    fn key(&self, far: &AttributeValue) -> Option<&Item> {
        value_key(far).and_then(|k| self.keys.get(&k))
    }

    fn not_found(&self, key: &Item) -> Error {
        Error::NotFound {
            table: self.table.to_owned(),
            key: describe_key_in(self.table, key),
        }
    }

    /// The ConditionCheck that the far row with `key` exists and is shown
    /// by reads.
    fn check(&self, key: &Item) -> Result<TransactWriteItem> {
        let mut b = ExpressionBuilder::new();
        let mut condition = format!("attribute_exists({})", b.name(self.meta.partition_key.name));
        if let Some(live) = crate::read::live_only(self.meta) {
            condition = format!("{condition} AND {}", b.render(&live)?);
        }
        let check = ConditionCheck::builder()
            .table_name(self.table)
            .set_key(Some(key.clone()))
            .condition_expression(condition)
            .set_expression_attribute_names(b.names())
            .set_expression_attribute_values(b.values())
            .build()
            .map_err(|e| Error::backend("TransactWriteItems", e))?;
        Ok(TransactWriteItem::builder().condition_check(check).build())
    }

    /// A cancelled transaction whose far-row check failed is
    /// [`Error::NotFound`] for that row (not retried); any other error
    /// is returned as is.
    fn missing(&self, error: Error, checked: &[&Item]) -> Error {
        let Error::TransactionCanceled { added, .. } = &error else {
            return error;
        };
        let failed = added
            .iter()
            .filter(|r| r.is_not_found())
            .find_map(|r| checked.get(r.index).copied());
        match failed {
            Some(key) => self.not_found(key),
            None => error,
        }
    }

    /// Reads every far row the chunks check (consistent BatchGetItem):
    /// the first one missing is [`Error::NotFound`].
    async fn require_all(&self, db: &Dynamite, chunks: &[Vec<Write>]) -> Result<()> {
        let keys: Vec<Item> = chunks
            .iter()
            .flatten()
            .filter_map(|w| match w {
                Write::Add { check, .. } => check.clone(),
                Write::Remove { .. } => None,
            })
            .collect();
        if keys.is_empty() {
            return Ok(());
        }
        let key_names: Vec<&'static str> = self.meta.key_names().collect();
        let found = crate::read::exec::batch_get(
            db,
            vec![crate::read::exec::TableKeys {
                table: self.table.to_owned(),
                key_names: key_names.clone(),
                keys: keys.clone(),
                projection: None,
                consistent: true,
            }],
        )
        .await?;
        let rows = found.get(self.table);
        for key in &keys {
            let fp = crate::read::exec::key_fingerprint(key, key_names.iter().copied());
            if !rows
                .and_then(|r| r.get(&fp))
                .is_some_and(|item| self.meta.is_visible(item))
            {
                return Err(self.not_found(key));
            }
        }
        Ok(())
    }
}

/// The ConditionCheck of `attach`: the parent with `key` is stored and
/// shown by reads (its model's, not soft-deleted, not expired).
pub(crate) fn parent_check(
    meta: &'static TableMeta,
    table: &str,
    key: &Item,
) -> Result<TransactWriteItem> {
    let keys = HashMap::new();
    FarRows {
        meta,
        table,
        keys: &keys,
    }
    .check(key)
}

/// The error of `attach`'s transaction (the create, then the parent's
/// check): the create's condition is [`Error::AlreadyExists`], the
/// parent's [`Error::NotFound`].
pub(crate) fn attach_error<C: crate::model::Table>(
    db: &Dynamite,
    error: Error,
    child_key: &Item,
    (parent_table, parent_key): (&str, &Item),
) -> Error {
    let Error::TransactionCanceled { reasons, added } = &error else {
        return error;
    };
    if added.first().is_some_and(|r| r.is_not_found()) {
        return Error::NotFound {
            table: parent_table.to_owned(),
            key: describe_key_in(parent_table, parent_key),
        };
    }
    if reasons.first().is_some_and(|r| r.is_already_exists()) {
        let table = db
            .registered::<C>()
            .map_or_else(|_| C::META.table_name.to_owned(), |r| r.table_name.clone());
        return Error::AlreadyExists {
            key: describe_key_in(&table, child_key),
            table,
        };
    }
    error
}
