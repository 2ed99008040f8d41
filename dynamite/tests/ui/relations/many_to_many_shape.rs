use dynamite::prelude::*;
use dynamite::{BelongsTo, HasMany, HasOne};

#[derive(Table)]
struct Student {
    #[dynamite(primary_key)]
    id: String,
    // `through` needs `far_key`.
    #[dynamite(has_many(through = Enrollment, foreign_key = "student_id"))]
    no_far_key: HasMany<Course>,
    // `far_key` needs `through`.
    #[dynamite(has_many(foreign_key = "student_id", far_key = "course_id"))]
    no_through: HasMany<Enrollment>,
    // `through` is a has_many's.
    #[dynamite(has_one(through = Enrollment, foreign_key = "student_id", far_key = "course_id"))]
    one: HasOne<Course>,
    // `through` takes a model.
    #[dynamite(has_many(through, foreign_key = "student_id", far_key = "course_id"))]
    bare: HasMany<Course>,
    // one foreign key field only
    #[dynamite(has_many(through = Enrollment, foreign_key = ["student_id", "course_id"], far_key = "course_id"))]
    composite: HasMany<Course>,
}

#[derive(Table)]
struct Course {
    #[dynamite(primary_key)]
    id: String,
}

#[derive(Table)]
struct Enrollment {
    #[dynamite(primary_key)]
    student_id: String,
    #[dynamite(sort_key)]
    course_id: String,
    #[dynamite(belongs_to(foreign_key = "course_id", far_key = "student_id"))]
    course: BelongsTo<Course>,
}

fn main() {}
