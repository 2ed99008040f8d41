use dynamite::prelude::*;
use dynamite::HasMany;

#[derive(Table)]
struct Student {
    #[dynamite(primary_key)]
    id: String,
    // `Enrollment` has no `class_id`.
    #[dynamite(has_many(through = Enrollment, foreign_key = "student_id", far_key = "class_id"))]
    courses: HasMany<Course>,
    // `Enrollment` has no `pupil_id`.
    #[dynamite(has_many(through = Enrollment, foreign_key = "pupil_id", far_key = "course_id"))]
    classes: HasMany<Course>,
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
}

fn main() {}
