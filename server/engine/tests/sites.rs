//! Call sites, data-driven: a project written inline, every site of its certain calls, property reads and
//! type references out as `caller -> callee line:column "text there"`, where the text is cut from the
//! fixture at the recorded UTF-16 column and length — so a wrong column shows as the wrong text. Refresh
//! with UPDATE_EXPECT=1.

use super::graph::project;
use expect_test::{Expect, expect};

/// The sites of `files`' index, one per line, in the index's order (by callee, caller, line, column).
fn sites(files: &[(&str, &str)]) -> String {
    let d = project(files);
    let mut out = String::new();
    for s in &d.sites {
        let (from, to) = (&d.symbols[s.src.index()], &d.symbols[s.dst.index()]);
        let path = &d.files[from.file.index()].path;
        let src = files.iter().find(|(p, _)| p == path).map_or("", |(_, t)| t);
        let line: Vec<u16> = src
            .lines()
            .nth(s.line as usize - 1)
            .unwrap_or("")
            .encode_utf16()
            .collect();
        let (a, b) = (s.col as usize, (s.col + s.len) as usize);
        let text = String::from_utf16_lossy(line.get(a..b).unwrap_or_default());
        out.push_str(&format!(
            "{} -> {} {}:{} {text:?}\n",
            from.qualified_name, to.qualified_name, s.line, s.col
        ));
    }
    out
}

fn check(files: &[(&str, &str)], expect: Expect) {
    expect.assert_eq(&sites(files));
}

#[test]
fn every_call_of_a_function_is_a_site_in_utf16_columns() {
    check(
        &[(
            "pkg/draw.py",
            "\
def helper(x):
    return x

class Bar:
    @property
    def width(self):
        return 3

    def draw(self):
        s = \"héllo 🙂\"; helper(s); helper(self.width)
        return helper(
            s)
",
        )],
        expect![[r#"
            Bar.draw -> helper 10:24 "helper"
            Bar.draw -> helper 10:35 "helper"
            Bar.draw -> helper 11:15 "helper"
            Bar.draw -> Bar.width 10:47 "width"
        "#]],
    );
}

#[test]
fn rust_paths_types_and_methods() {
    check(
        &[(
            "src/point.rs",
            "\
pub struct Point;

impl Point {
    pub fn new() -> Point { Point }
    pub fn norm(&self) -> u32 { 1 }
}

pub fn main() -> u32 {
    let p = Point::new();
    let q: Point = Point::new();
    p.norm() + q
        .norm()
}
",
        )],
        expect![[r#"
            point -> Point 3:5 "Point"
            Point::new -> Point 4:20 "Point"
            main -> Point 10:11 "Point"
            main -> Point::new 9:19 "new"
            main -> Point::new 10:26 "new"
            main -> Point::norm 11:6 "norm"
            main -> Point::norm 12:9 "norm"
        "#]],
    );
}

#[test]
fn javascript_calls_and_constructions() {
    check(
        &[(
            "lib/greet.js",
            "\
function greet(name) { return 'hi ' + name; }

class Greeter {}

function main() {
  greet('a'); greet('b');
  return new Greeter();
}
",
        )],
        expect![[r#"
            main -> greet 6:2 "greet"
            main -> greet 6:14 "greet"
            main -> Greeter 7:13 "Greeter"
        "#]],
    );
}
