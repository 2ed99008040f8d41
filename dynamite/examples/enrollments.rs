//! The TypeScript library's relationships guide, section "Many-to-Many
//! Relationships (via Junction Table)": students and courses through
//! enrollments. `has_many(through = Enrollment, ..)` reads a student's
//! courses (the junction rows, then every course in one BatchGetItem
//! round); `replace` / `add` / `remove` change the set with conditional
//! writes in one transaction; the junction's own `has_many` still reaches
//! the rows with their extra fields (a grade).

#[path = "common/mod.rs"]
mod common;

use dynamite::DynamiteBuilder;
use dynamite::prelude::*;

#[derive(Table, Debug, Clone)]
pub(crate) struct Student {
    #[dynamite(primary_key)]
    pub(crate) id: String,
    pub(crate) name: String,
    #[dynamite(has_many(through = Enrollment, foreign_key = "student_id", far_key = "course_id"))]
    pub(crate) courses: HasMany<Course>,
    #[dynamite(has_many(foreign_key = "student_id"))]
    pub(crate) enrollments: HasMany<Enrollment>,
}

#[derive(Table, Debug, Clone)]
pub(crate) struct Course {
    #[dynamite(primary_key)]
    pub(crate) id: String,
    pub(crate) name: String,
    #[dynamite(has_many(through = Enrollment, foreign_key = "course_id", far_key = "student_id"))]
    pub(crate) students: HasMany<Student>,
}

/// The junction model, keyed by the pair: one enrollment per student and
/// course, so a conditional write can refuse a duplicate.
#[derive(Table, Debug, Clone)]
pub(crate) struct Enrollment {
    #[dynamite(primary_key)]
    pub(crate) student_id: String,
    #[dynamite(sort_key)]
    pub(crate) course_id: String,
    pub(crate) grade: Option<String>,
    #[dynamite(belongs_to(foreign_key = "course_id"))]
    pub(crate) course: BelongsTo<Course>,
}

pub(crate) fn register(builder: DynamiteBuilder) -> DynamiteBuilder {
    builder
        .table::<Student>()
        .table::<Course>()
        .table::<Enrollment>()
}

pub(crate) async fn run(db: Dynamite) -> dynamite::Result<String> {
    let db = &db;
    let mut out = String::new();
    let student = Student::create()
        .id("student-123")
        .name("Ada")
        .exec(db)
        .await?;
    Student::create()
        .id("student-456")
        .name("Alan")
        .exec(db)
        .await?;
    for (id, name) in [
        ("c-chem", "Chemistry"),
        ("c-math", "Mathematics"),
        ("c-phys", "Physics"),
        ("c-poetry", "Poetry"),
    ] {
        Course::create().id(id).name(name).exec(db).await?;
    }
    // Junction rows with extra fields: through the junction's own has_many.
    for (course, grade) in [("c-math", "A"), ("c-phys", "B+"), ("c-poetry", "A-")] {
        Student::enrollments()
            .attach(
                db,
                &student,
                Enrollment::create()
                    .student_id(&student.id)
                    .course_id(course)
                    .grade(Some(grade.to_owned())),
            )
            .await?;
    }
    // Links alone: `add` (one transaction, nothing written twice).
    Student::courses()
        .add(db, "student-456", ["c-math"])
        .await?;

    let ada = Student::query()
        .filter(Student::ID.eq("student-123"))
        .include(Student::enrollments().include(Enrollment::course()))
        .first(db)
        .await?;
    if let Some(ada) = ada {
        out.push_str(&format!("{}'s courses:\n", ada.name));
        for enrollment in &ada.enrollments {
            let course = enrollment.course.as_ref().map_or("?", |c| c.name.as_str());
            let grade = enrollment.grade.as_deref().unwrap_or("-");
            out.push_str(&format!("  {course} - Grade: {grade}\n"));
        }
    }

    // Replace the whole set: Poetry out, Chemistry in.
    let change = Student::courses()
        .replace(db, "student-123", ["c-math", "c-phys", "c-chem"])
        .await?;
    out.push_str(&format!(
        "replace: added {:?}, removed {:?}, unchanged {:?}, {} transaction(s)\n",
        change.added,
        change.removed,
        change.unchanged,
        change.chunks.len()
    ));

    // Courses through enrollments, filtered and ordered on the far side.
    let ada = Student::query()
        .filter(Student::ID.eq("student-123"))
        .include(
            Student::courses()
                .filter(Course::NAME.ne("Physics"))
                .order(Desc),
        )
        .first(db)
        .await?;
    if let Some(ada) = ada {
        let names: Vec<&str> = ada.courses.iter().map(|c| c.name.as_str()).collect();
        out.push_str(&format!(
            "Ada's courses but Physics, by id descending: {}\n",
            names.join(", ")
        ));
    }

    // The other side: a course with its students.
    let math = Course::query()
        .filter(Course::ID.eq("c-math"))
        .include(Course::students())
        .first(db)
        .await?;
    if let Some(course) = math {
        let names: Vec<&str> = course.students.iter().map(|s| s.name.as_str()).collect();
        out.push_str(&format!("{} students: {}\n", course.name, names.join(", ")));
    }
    Ok(out)
}

#[tokio::main]
async fn main() -> dynamite::Result<()> {
    let db = register(common::builder()).build().await?;
    db.sync().await?; // create the tables and their indexes
    print!("{}", run(db).await?);
    Ok(())
}
