//! Typed columns, conditions and their rendering into DynamoDB expressions.
//!
//! `User::EMAIL.eq("a@b.c")` builds a [`Condition<User>`]; a misspelled
//! attribute or a wrongly typed value does not compile. Rendering always uses
//! `#name` / `:value` placeholders: user data never enters expression text.

mod column;
mod condition;
mod render;

pub use column::{Column, Columns, Contains, SizeOf};
pub(crate) use condition::{CompareOp, Node, Operand};
pub use condition::{Condition, Expression};
pub(crate) use render::ExpressionBuilder;
