//! Typed columns, conditions and their rendering into DynamoDB expressions.
//!
//! `User::EMAIL.eq("a@b.c")` builds a [`Condition<User>`]; a misspelled
//! attribute or a wrongly typed value does not compile. Values are taken
//! as [`IntoValue`]: `Into` the column's type, or a string form for an
//! `Option<String>` column. Rendering always uses
//! `#name` / `:value` placeholders: user data never enters expression text.

mod column;
mod condition;
mod into_value;
mod render;

pub use column::{Column, Columns, Contains, SizeOf};
pub(crate) use condition::{CompareOp, Node, Operand};
pub use condition::{Condition, Expression, MAX_CONDITION_DEPTH};
pub use into_value::IntoValue;
pub(crate) use render::{
    ExpressionBuilder, MAX_EXPRESSION_BYTES, MAX_OPERATORS, condition_operators,
};
