//! Candidate access paths: what a filter pins of the table's key and of
//! each index's, and which indexes may serve the read at all.

use std::cmp::Reverse;

use super::conjuncts::Conjuncts;
use crate::expr::{CompareOp, Node};
use crate::model::TableMeta;
use crate::registry::IndexSpec;
use crate::value::AttributeValue;

/// The rows DynamoDB keeps in an index: an index may serve a read only
/// when the user's filter implies every attribute a row needs to be in it
/// (its key attributes; of an overloaded index, every field of its
/// templates, partition and sort) that a row may lack. Conditions the
/// planner renders itself prove nothing: `user` holds the filter's own
/// conjuncts only. `Err`: the first attribute not implied.
pub(super) fn index_eligible(
    meta: &TableMeta,
    index: &IndexSpec,
    user: &Conjuncts,
) -> std::result::Result<(), &'static str> {
    match index
        .sparse_on(meta)
        .into_iter()
        .find(|name| !user.implies_present(name))
    {
        Some(missing) => Err(missing),
        None => Ok(()),
    }
}

/// The table, or one of its GSIs (with its position among them).
#[derive(Debug, Clone, Copy)]
pub(super) enum Target<'i> {
    Table,
    Index(usize, &'i IndexSpec),
}

impl Target<'_> {
    /// `table` or `index <name>`, for `explain()`.
    pub(super) fn label(&self) -> String {
        match self {
            Target::Table => "table".to_owned(),
            Target::Index(_, index) => format!("index {}", index.name),
        }
    }

    pub(super) fn index_name(&self) -> Option<&str> {
        match self {
            Target::Table => None,
            Target::Index(_, index) => Some(&index.name),
        }
    }
}

/// How a candidate's partition is fixed.
#[derive(Debug, Clone)]
pub(super) enum PartitionPin {
    /// Every partition attribute with `=`: the conjuncts to take and the
    /// key condition's partition part.
    Eq(Vec<(usize, Node)>),
    /// `is_in` on a single partition attribute: one Query per value.
    In {
        conjunct: usize,
        attribute: &'static str,
        values: Vec<AttributeValue>,
    },
}

/// How much of the sort key a candidate's key condition fixes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum SortFix {
    /// No sort-key condition: the whole partition is read.
    Bare,
    /// A range, a prefix, or `=` on some of a multi-attribute sort key.
    Narrowed,
    /// `=` on every sort-key attribute.
    Exact,
}

impl SortFix {
    fn describe(self) -> &'static str {
        match self {
            SortFix::Bare => "no sort-key condition",
            SortFix::Narrowed => "a sort-key range or prefix",
            SortFix::Exact => "an exact sort key",
        }
    }
}

/// A path that can serve the read with a Query (or one Query per value).
#[derive(Debug, Clone)]
pub(super) struct Candidate<'i> {
    pub(super) target: Target<'i>,
    pub(super) partition: PartitionPin,
    /// The conjuncts taken as the sort part of the key condition.
    pub(super) sorts: Vec<usize>,
    /// Key fields the key condition fixes (a template's fields, a natural
    /// key's attributes): partition, then leading `=` of the sort key.
    pub(super) pinned: Vec<&'static str>,
    pub(super) sort_fix: SortFix,
    pub(super) sort_key: Option<&'static str>,
}

/// The ranking of candidates, best first when sorted in descending order:
/// a path that gives the asked order natively, one partition over several,
/// more pinned key fields, an exact sort key over a range or prefix over
/// none, the table over an index, then the first declared index.
pub(super) type Rank = (bool, bool, usize, SortFix, bool, Reverse<usize>);

impl Candidate<'_> {
    /// Whether this path gives `order` without sorting in memory: its sort
    /// key is the attribute ordered by (`None`: no order asked, or
    /// `order` on an unordered read).
    pub(super) fn native(&self, order: Option<&'static str>) -> bool {
        order.is_none_or(|attribute| self.sort_key == Some(attribute))
    }

    pub(super) fn rank(&self, order: Option<&'static str>) -> Rank {
        let (is_table, position) = match self.target {
            Target::Table => (true, 0),
            Target::Index(n, _) => (false, n),
        };
        (
            self.native(order),
            matches!(self.partition, PartitionPin::Eq(_)),
            self.pinned.len(),
            self.sort_fix,
            is_table,
            Reverse(position),
        )
    }

    /// Why the ranking placed this path where it is, for `explain()`.
    pub(super) fn describe(&self, order: Option<&'static str>) -> String {
        let partition = match &self.partition {
            PartitionPin::Eq(_) => "one partition".to_owned(),
            PartitionPin::In {
                attribute, values, ..
            } => format!("{} partitions ({attribute} in ..)", values.len()),
        };
        let mut s = format!(
            "{partition}, {} key field(s) pinned [{}], {}",
            self.pinned.len(),
            self.pinned.join(", "),
            self.sort_fix.describe()
        );
        if let Some(attribute) = order
            && !self.native(order)
        {
            s.push_str(&format!(", cannot give the order by {attribute} natively"));
        }
        s
    }
}

/// The fields a key's templates fix: every field of the partition
/// template, then the sort template's fields the filter pins with `=` from
/// the left (the rendered prefix). `None`: not a templated key.
fn template_pins(
    meta: &TableMeta,
    index: Option<&str>,
    conjuncts: &Conjuncts,
) -> Option<Vec<&'static str>> {
    use crate::template::fields;
    let layout = meta.single_table?;
    let (partition, sort) = match index {
        None => (layout.partition, layout.sort),
        Some(name) => {
            let t = layout.indexes.iter().find(|t| t.name == name)?;
            (t.partition, t.sort)
        }
    };
    let mut pinned: Vec<&'static str> = fields(partition).collect();
    if let Some(sort) = sort {
        pinned.extend(fields(sort).take_while(|f| conjuncts.eq(f).is_some()));
    }
    Some(pinned)
}

/// How a key condition's sort conditions fix the sort key.
fn sort_fix(conjuncts: &Conjuncts, sorts: &[usize], sort_keys: usize) -> SortFix {
    let eqs = sorts
        .iter()
        .filter(|i| {
            matches!(
                conjuncts.0.get(**i),
                Some(Some(Node::Compare {
                    op: CompareOp::Eq,
                    ..
                }))
            )
        })
        .count();
    if sort_keys > 0 && eqs == sort_keys {
        SortFix::Exact
    } else if sorts.is_empty() {
        SortFix::Bare
    } else {
        SortFix::Narrowed
    }
}

/// The table's partition as a Query path: its partition key pinned with
/// `=` or `is_in`, with one sort-key condition if the filter has one.
pub(super) fn table_candidate<'i>(
    meta: &TableMeta,
    conjuncts: &Conjuncts,
) -> Option<Candidate<'i>> {
    let pk = meta.partition_key;
    let partition = match conjuncts.eq(pk.name) {
        Some((i, v)) => PartitionPin::Eq(vec![(
            i,
            Node::Compare {
                path: pk.name,
                op: CompareOp::Eq,
                value: Ok(v),
            },
        )]),
        None => {
            let (conjunct, values) = conjuncts.is_in(pk.name)?;
            PartitionPin::In {
                conjunct,
                attribute: pk.name,
                values,
            }
        }
    };
    let sorts: Vec<usize> = meta
        .sort_key
        .and_then(|s| conjuncts.sort_condition(s))
        .into_iter()
        .collect();
    let fix = sort_fix(conjuncts, &sorts, usize::from(meta.sort_key.is_some()));
    let pinned = template_pins(meta, None, conjuncts).unwrap_or_else(|| {
        let mut names = vec![pk.name];
        if fix == SortFix::Exact {
            names.extend(meta.sort_key.map(|k| k.name));
        }
        names
    });
    Some(Candidate {
        target: Target::Table,
        partition,
        sorts,
        pinned,
        sort_fix: fix,
        sort_key: meta.sort_key.map(|k| k.name),
    })
}

/// An index as a Query path: every partition attribute pinned with `=`
/// (or `is_in` on a single one), and the sort conditions DynamoDB accepts.
pub(super) fn index_candidate<'i>(
    meta: &TableMeta,
    position: usize,
    index: &'i IndexSpec,
    conjuncts: &Conjuncts,
) -> Option<Candidate<'i>> {
    let pinned_eq: Option<Vec<(usize, Node)>> = index
        .partition_keys()
        .map(|k| {
            conjuncts.eq(k.name).map(|(i, v)| {
                let node = Node::Compare {
                    path: k.name,
                    op: CompareOp::Eq,
                    value: Ok(v),
                };
                (i, node)
            })
        })
        .collect();
    let partition = match pinned_eq {
        Some(parts) => PartitionPin::Eq(parts),
        None if index.more_partition_keys.is_empty() => {
            let (conjunct, values) = conjuncts.is_in(index.partition_key.name)?;
            PartitionPin::In {
                conjunct,
                attribute: index.partition_key.name,
                values,
            }
        }
        None => return None,
    };
    let sorts = sort_conditions(index, conjuncts);
    let fix = sort_fix(conjuncts, &sorts, index.sort_keys().count());
    let pinned = template_pins(meta, Some(&index.name), conjuncts).unwrap_or_else(|| {
        let mut names: Vec<&'static str> = index.partition_keys().map(|k| k.name).collect();
        names.extend(
            index
                .sort_keys()
                .map(|k| k.name)
                .take_while(|name| conjuncts.eq(name).is_some()),
        );
        names
    });
    Some(Candidate {
        target: Target::Index(position, index),
        partition,
        sorts,
        pinned,
        sort_fix: fix,
        sort_key: index.sort_key.map(|k| k.name),
    })
}

/// The sort part of a key condition on `index`: `=` on a left-to-right
/// prefix of its sort attributes, then at most one range condition on the
/// next one (DynamoDB's rule for multi-attribute sort keys; for a single
/// sort key, one condition of any kind).
fn sort_conditions(index: &IndexSpec, conjuncts: &Conjuncts) -> Vec<usize> {
    let mut taken = Vec::new();
    for key in index.sort_keys() {
        if let Some((i, _)) = conjuncts.eq(key.name) {
            taken.push(i);
            continue;
        }
        taken.extend(conjuncts.sort_condition(key));
        break;
    }
    if !index.is_multi_attribute() {
        // One condition on a single sort key (an `=` if there is one).
        taken.truncate(1);
    }
    taken
}
