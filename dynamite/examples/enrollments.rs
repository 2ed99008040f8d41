//! Seed section "Many-to-Many Relationships (via Junction Table)": students
//! and courses through enrollments, with `attach` / `detach` writing and
//! removing junction rows.

#[path = "common/mod.rs"]
mod common;

use dynamite::DynamiteBuilder;
use dynamite::prelude::*;

#[derive(Table, Debug, Clone)]
pub struct Student {
    #[dynamite(primary_key)]
    pub id: String,
    pub name: String,
    #[dynamite(has_many(foreign_key = "student_id"))]
    pub enrollments: HasMany<Enrollment>,
}

#[derive(Table, Debug, Clone)]
pub struct Course {
    #[dynamite(primary_key)]
    pub id: String,
    pub name: String,
    #[dynamite(has_many(foreign_key = "course_id"))]
    pub enrollments: HasMany<Enrollment>,
}

/// The junction model.
#[derive(Table, Debug, Clone)]
pub struct Enrollment {
    #[dynamite(primary_key, default = uuid)]
    pub id: String,
    pub student_id: String,
    pub course_id: String,
    pub grade: String,
    #[dynamite(belongs_to(foreign_key = "student_id"))]
    pub student: BelongsTo<Student>,
    #[dynamite(belongs_to(foreign_key = "course_id"))]
    pub course: BelongsTo<Course>,
}

pub fn register(builder: DynamiteBuilder) -> DynamiteBuilder {
    builder
        .table::<Student>()
        .table::<Course>()
        .table::<Enrollment>()
}

pub async fn run(db: Dynamite) -> dynamite::Result<String> {
    let db = &db;
    let mut out = String::new();
    let student = Student::create()
        .id("student-123")
        .name("Ada")
        .exec(db)
        .await?;
    let other = Student::create()
        .id("student-456")
        .name("Alan")
        .exec(db)
        .await?;
    let courses = [
        ("c-math", "Mathematics", "A"),
        ("c-phys", "Physics", "B+"),
        ("c-poetry", "Poetry", "A-"),
    ];
    for (id, name, _) in courses {
        Course::create().id(id).name(name).exec(db).await?;
    }
    // attach: the junction row, its foreign key to the student set by the relation.
    for (id, _, grade) in courses {
        Student::enrollments()
            .attach(
                db,
                &student,
                Enrollment::create()
                    .student_id(&student.id)
                    .course_id(id)
                    .grade(grade),
            )
            .await?;
    }
    Student::enrollments()
        .attach(
            db,
            &other,
            Enrollment::create()
                .student_id(&other.id)
                .course_id("c-math")
                .grade("B"),
        )
        .await?;

    let load = |id: &'static str| {
        Student::query()
            .filter(Student::ID.eq(id))
            .include(Student::enrollments().include(Enrollment::course()))
            .first(db)
    };
    if let Some(student) = load("student-123").await? {
        out.push_str(&format!("{}'s courses:\n", student.name));
        for enrollment in &student.enrollments {
            let course = enrollment.course.as_ref().map_or("?", |c| c.name.as_str());
            out.push_str(&format!("  {course} - Grade: {}\n", enrollment.grade));
        }
        // detach: drop Poetry.
        if let Some(poetry) = student
            .enrollments
            .iter()
            .find(|e| e.course_id == "c-poetry")
        {
            Student::enrollments().detach(db, &student, poetry).await?;
        }
    }
    if let Some(student) = load("student-123").await? {
        out.push_str(&format!(
            "After detaching Poetry: {} courses\n",
            student.enrollments.len()
        ));
    }

    // The other side: a course with its students.
    let math = Course::query()
        .filter(Course::ID.eq("c-math"))
        .include(Course::enrollments().include(Enrollment::student()))
        .first(db)
        .await?;
    if let Some(course) = math {
        let mut names: Vec<&str> = course
            .enrollments
            .iter()
            .filter_map(|e| e.student.as_ref().map(|s| s.name.as_str()))
            .collect();
        names.sort();
        out.push_str(&format!("{} students: {}\n", course.name, names.join(", ")));
    }
    Ok(out)
}

#[tokio::main]
async fn main() -> dynamite::Result<()> {
    common::main_with(register, run).await
}
