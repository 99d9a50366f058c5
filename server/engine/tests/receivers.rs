//! Call resolution by declared receiver types, `super()` and scopes (Python, Go), data-driven: a project written
//! inline, every call edge out as `caller -> path:callee` with its tier (`?` marks the uncertain tier: a guess
//! by a unique name on a receiver of unknown type, or several candidates). Refresh with UPDATE_EXPECT=1.

use super::graph::project;
use expect_test::{Expect, expect};
use leindex_engine::model::EdgeKind;

/// The call and property-read edges of `files`, one per line, sorted: `caller -> path:callee` (qualified
/// names; `?` when uncertain, `(reads)` for a property read).
fn calls(files: &[(&str, &str)]) -> String {
    let d = project(files);
    let mut lines: Vec<String> = d
        .edges
        .iter()
        .filter(|e| matches!(e.kind, EdgeKind::Calls | EdgeKind::Reads))
        .map(|e| {
            let (s, t) = (&d.symbols[e.src.index()], &d.symbols[e.dst.index()]);
            let mut tier = if e.ambiguous { " ?" } else { "" }.to_string();
            if e.kind == EdgeKind::Reads {
                tier.push_str(" (reads)");
            }
            let file = &d.files[t.file.index()].path;
            format!("{} -> {file}:{}{tier}", s.qualified_name, t.qualified_name)
        })
        .collect();
    lines.sort();
    lines.join("\n") + "\n"
}

fn check(files: &[(&str, &str)], expect: Expect) {
    expect.assert_eq(&calls(files));
}

const CONTEXT: &str = "\
class Context:
    def exit(self):
        pass
    def invoke(self, f):
        return f()

class Formatter:
    def getvalue(self) -> str:
        return ''
    def write(self, text):
        pass

def make_formatter() -> 'Formatter':
    return Formatter()
";

#[test]
fn annotated_parameters_type_their_receivers() {
    check(
        &[
            ("pkg/context.py", CONTEXT),
            (
                "pkg/command.py",
                "\
from pkg.context import Context, Formatter
import typing as t

def main(ctx: Context, fmt: t.Optional['Formatter'] = None, opts: dict = None):
    ctx.exit()
    fmt.getvalue()
    opts.get('x')
",
            ),
        ],
        expect![[r#"
            main -> pkg/context.py:Context.exit
            main -> pkg/context.py:Formatter.getvalue
            make_formatter -> pkg/context.py:Formatter
        "#]],
    );
}

#[test]
fn assignments_attributes_and_returns_type_their_receivers() {
    check(
        &[
            ("pkg/context.py", CONTEXT),
            (
                "pkg/runner.py",
                "\
from pkg.context import Context, make_formatter

class Runner:
    def __init__(self, ctx: Context):
        self.ctx = ctx
        self.fmt = make_formatter()
        self.cache = {}

    def run(self):
        self.ctx.exit()
        self.fmt.write('x')
        self.cache.get('k')
        local = Context()
        local.invoke(None)
        make_formatter().getvalue()
        seen = set()
        seen.add(1)
",
            ),
        ],
        expect![[r#"
            Runner.__init__ -> pkg/context.py:make_formatter
            Runner.run -> pkg/context.py:Context
            Runner.run -> pkg/context.py:Context.exit
            Runner.run -> pkg/context.py:Context.invoke
            Runner.run -> pkg/context.py:Formatter.getvalue
            Runner.run -> pkg/context.py:Formatter.write
            Runner.run -> pkg/context.py:make_formatter
            make_formatter -> pkg/context.py:Formatter
        "#]],
    );
}

#[test]
fn super_calls_resolve_to_the_nearest_base_that_defines_the_method() {
    check(
        &[(
            "pkg/params.py",
            "\
class Parameter:
    def get_default(self, ctx):
        return None

class Option(Parameter):
    def get_default(self, ctx):
        return super().get_default(ctx)

class Flag(Option):
    pass

class Toggle(Flag):
    def get_default(self, ctx):
        return super().get_default(ctx)

class Mapping(dict):
    def get(self, key):
        return super().get(key)
",
        )],
        expect![[r#"
            Option.get_default -> pkg/params.py:Parameter.get_default
            Toggle.get_default -> pkg/params.py:Option.get_default
        "#]],
    );
}

#[test]
fn locals_shadow_globals_and_bare_names_never_call_methods() {
    check(
        &[(
            "pkg/util.py",
            "\
def convert(value):
    return value

def isatty(stream):
    return False

class Wrapper:
    def isatty(self):
        return isatty(self)

    def open(self):
        pass

def apply(convert, items):
    for item in items:
        convert(item)

def run(path):
    handler = pick()
    handler(path)
    open(path)
    isatty(path)

def pick():
    return convert
",
        )],
        expect![[r#"
            Wrapper.isatty -> pkg/util.py:isatty
            run -> pkg/util.py:isatty
            run -> pkg/util.py:pick
        "#]],
    );
}

#[test]
fn an_unknown_receiver_guessed_by_a_unique_name_is_uncertain() {
    check(
        &[
            ("pkg/context.py", CONTEXT),
            (
                "pkg/send.py",
                "\
def send(invoice, mailer):
    mailer.getvalue()
    invoice.exit()
",
            ),
        ],
        expect![[r#"
            make_formatter -> pkg/context.py:Formatter
            send -> pkg/context.py:Context.exit ?
            send -> pkg/context.py:Formatter.getvalue ?
        "#]],
    );
}

#[test]
fn loops_exceptions_method_results_and_overloads_type_their_receivers() {
    check(
        &[(
            "pkg/cli.py",
            "\
import typing as t

class UsageError(Exception):
    def show(self):
        pass

class Parameter:
    def process(self, value):
        pass

class Command:
    def get_params(self) -> t.List['Parameter']:
        return []

    def make_context(self) -> 'Command':
        return self

    @t.overload
    def main(self, args: list) -> None: ...
    @t.overload
    def main(self, args: str) -> None: ...
    def main(self, args):
        for param in self.get_params():
            param.process(args)
        with self.make_context() as ctx:
            ctx.get_params()
        try:
            pass
        except UsageError as e:
            e.show()

    def __call__(self, *args):
        return self.main(*args)

def run(cmd: Command, params: t.Sequence[Parameter]):
    for p in params:
        p.process(None)
    sub = cmd.make_context()
    sub.main([])
",
        )],
        expect![[r#"
            Command.__call__ -> pkg/cli.py:Command.main
            Command.main -> pkg/cli.py:Command.get_params
            Command.main -> pkg/cli.py:Command.make_context
            Command.main -> pkg/cli.py:Parameter.process
            Command.main -> pkg/cli.py:UsageError.show
            run -> pkg/cli.py:Command.main
            run -> pkg/cli.py:Command.make_context
            run -> pkg/cli.py:Parameter.process
        "#]],
    );
}

#[test]
fn bases_resolve_through_their_files_imports_and_explicit_super_starts_after_the_class_named() {
    check(
        &[
            (
                "pkg/forms/fields.py",
                "class IntegerField:\n    def __init__(self):\n        pass\n",
            ),
            (
                "pkg/db/fields.py",
                "class IntegerField:\n    def __init__(self):\n        pass\n",
            ),
            (
                "pkg/db/proxy.py",
                "\
from pkg.db import fields

class OrderWrt(fields.IntegerField):
    def __init__(self):
        super().__init__()
",
            ),
            (
                "pkg/db/ops.py",
                "\
class Operation:
    def reduce(self):
        pass

class FieldOperation(Operation):
    def reduce(self):
        pass

class RenameField(FieldOperation):
    def reduce(self):
        return super(FieldOperation, self).reduce()
",
            ),
        ],
        expect![[r#"
            OrderWrt.__init__ -> pkg/db/fields.py:IntegerField.__init__
            RenameField.reduce -> pkg/db/ops.py:Operation.reduce
        "#]],
    );
}

#[test]
fn external_imports_and_test_code_never_receive_library_calls() {
    check(
        &[
            (
                "pkg/paths.py",
                "\
from os.path import join
from typing import cast

def build(a, b):
    return cast(str, join(a, b))
",
            ),
            (
                "pkg/strings.py",
                "def join(parts):\n    return ''\n\ndef cast(t, v):\n    return v\n",
            ),
            ("tests/helpers.py", "def make_user():\n    return None\n"),
            ("pkg/users.py", "def create():\n    return make_user()\n"),
            (
                "tests/test_users.py",
                "from tests.helpers import make_user\n\ndef test_create():\n    make_user()\n",
            ),
        ],
        expect![[r#"
            test_create -> tests/helpers.py:make_user
        "#]],
    );
}

#[test]
fn property_reads_are_reads_edges_to_the_getter() {
    // A `cached_property` read is an attribute read, as language servers show it.
    check(
        &[(
            "pkg/progress.py",
            "\
import functools

class Base:
    @property
    def width(self):
        return 80

    @functools.cached_property
    def height(self):
        return 24

class ProgressBar(Base):
    def __init__(self):
        self.pos = 0

    @property
    def pct(self) -> float:
        return self.pos / 100

    @pct.setter
    def pct(self, value):
        self.pos = value

    def render(self):
        return self.pct * self.width * self.height + self.pos
",
        )],
        expect![[r#"
            ProgressBar.render -> pkg/progress.py:Base.width (reads)
            ProgressBar.render -> pkg/progress.py:ProgressBar.pct (reads)
        "#]],
    );
}

#[test]
fn rust_imports_of_the_crate_itself_are_project_imports() {
    // `use crate::helper` names the project's own root module; `use std::...` an external one.
    check(
        &[
            ("src/lib.rs", "pub fn helper() -> u32 {\n    1\n}\n"),
            (
                "src/extra.rs",
                "\
use crate::helper;
use std::mem::take;

pub fn use_helper() -> u32 {
    take(&mut 0);
    helper()
}
",
            ),
            ("src/util.rs", "pub fn take() {}\n"),
        ],
        expect![[r#"
            use_helper -> src/lib.rs:helper
        "#]],
    );
}

const GO_AST: &str = "\
package ast

type Ident struct{ Name string }

func (x *Ident) Pos() int { return 0 }
func (x *Ident) End() int { return 0 }

type Comment struct{ Text string }

func (c *Comment) Pos() int { return 0 }
func (c *Comment) End() int { return 0 }

type CommentGroup struct{ List []*Comment }

func (g *CommentGroup) Pos() int { return g.List[0].Pos() }
func (g *CommentGroup) End() int { return g.List[len(g.List)-1].End() }

type Field struct {
	Names []*Ident
	Doc   *CommentGroup
}

func (f *Field) Pos() int {
	if len(f.Names) > 0 {
		return f.Names[0].Pos()
	}
	return f.Doc.Pos()
}

type Decorated struct {
	*Field
	Tags map[string]*Ident
}

func (d *Decorated) End() int { return d.Doc.End() + d.Tags[\"x\"].End() }
";

#[test]
fn go_fields_elements_and_embedded_structs_type_their_receivers() {
    // Five `Pos` and four `End` methods: only the declared types pick the right one.
    check(
        &[("ast/ast.go", GO_AST)],
        expect![[r#"
            CommentGroup.End -> ast/ast.go:Comment.End
            CommentGroup.Pos -> ast/ast.go:Comment.Pos
            Decorated.End -> ast/ast.go:CommentGroup.End
            Decorated.End -> ast/ast.go:Ident.End
            Field.Pos -> ast/ast.go:CommentGroup.Pos
            Field.Pos -> ast/ast.go:Ident.Pos
        "#]],
    );
}

#[test]
fn go_declarations_results_ranges_and_type_switches_type_their_receivers() {
    check(
        &[
            ("ast/ast.go", GO_AST),
            (
                "ast/walk.go",
                "\
package ast

type byPos []*Comment

func (a byPos) Less(i, j int) bool { return a[i].Pos() < a[j].Pos() }
func (a byPos) Sorted() bool { return a.Less(0, 1) }

func NewField() (*Field, error) { return &Field{}, nil }

func visit(node interface{}, keep func(string) bool, sorted []*Comment) {
	x := &Ident{}
	x.End()
	var c Comment
	c.End()
	f, _ := NewField()
	f.Pos()
	for _, id := range f.Names {
		id.End()
	}
	g := new(CommentGroup)
	g.End()
	switch n := node.(type) {
	case *Ident:
		n.Pos()
	case *Comment:
		n.Pos()
	}
	byPos(sorted).Less(0, 1)
	keep(\"x\")
}

func keep(s string) bool { return true }
",
            ),
        ],
        expect![[r#"
            CommentGroup.End -> ast/ast.go:Comment.End
            CommentGroup.Pos -> ast/ast.go:Comment.Pos
            Decorated.End -> ast/ast.go:CommentGroup.End
            Decorated.End -> ast/ast.go:Ident.End
            Field.Pos -> ast/ast.go:CommentGroup.Pos
            Field.Pos -> ast/ast.go:Ident.Pos
            byPos.Less -> ast/ast.go:Comment.Pos
            byPos.Sorted -> ast/walk.go:byPos.Less
            visit -> ast/ast.go:Comment.End
            visit -> ast/ast.go:Comment.Pos
            visit -> ast/ast.go:CommentGroup.End
            visit -> ast/ast.go:Field.Pos
            visit -> ast/ast.go:Ident.End
            visit -> ast/ast.go:Ident.Pos
            visit -> ast/walk.go:NewField
            visit -> ast/walk.go:byPos
            visit -> ast/walk.go:byPos.Less
        "#]],
    );
}

#[test]
fn go_packages_resolve_by_import_path_and_external_packages_get_no_edge() {
    check(
        &[
            (
                "internal/token/token.go",
                "\
package token

type FileSet struct{ base int }

func NewFileSet() *FileSet { return &FileSet{} }
func (s *FileSet) Base() int { return s.base }
func (s *FileSet) Encode(b []byte) {}
func (s *FileSet) Read(b []byte) int { return 0 }
",
            ),
            (
                "internal/ast/file.go",
                "\
package ast

// Same names as token's: the import path decides.
type FileSet struct{}

func (f *FileSet) Base() int { return 0 }
",
            ),
            (
                "cmd/main.go",
                "\
package main

import (
	\"encoding/base64\"
	\"strings\"

	\"example.com/app/internal/token\"
)

func main() {
	fset := token.NewFileSet()
	fset.Base()
	base64.StdEncoding.Encode(nil, nil)
	strings.NewReader(\"x\").Read(nil)
	base64.Encode(nil)
}
",
            ),
        ],
        expect![[r#"
            main -> internal/token/token.go:FileSet.Base
            main -> internal/token/token.go:NewFileSet
        "#]],
    );
}

#[test]
fn module_variables_are_typed_where_they_are_declared() {
    // Two `allow_migrate` methods: without the variable's type the call would be left ambiguous.
    check(
        &[
            (
                "pkg/db/__init__.py",
                "\
from pkg.db.utils import ConnectionRouter

router = ConnectionRouter()
",
            ),
            (
                "pkg/db/utils.py",
                "\
class ConnectionRouter:
    def allow_migrate(self, db):
        return True

class Other:
    def allow_migrate(self, db):
        return False
",
            ),
            (
                "pkg/ops.py",
                "\
from pkg.db import router

def migrate(db):
    return router.allow_migrate(db)
",
            ),
            (
                "log/log.go",
                "package log\n\nvar std = New()\n\nfunc New() *Logger { return &Logger{} }\n\ntype Logger struct{}\n\nfunc (l *Logger) Output(s string) {}\n",
            ),
            (
                "log/print.go",
                "package log\n\ntype Other struct{}\n\nfunc (o *Other) Output(s string) {}\n\nfunc Print(s string) { std.Output(s) }\n",
            ),
        ],
        expect![[r#"
            Print -> log/log.go:Logger.Output
            migrate -> pkg/db/utils.py:ConnectionRouter.allow_migrate
            router -> pkg/db/utils.py:ConnectionRouter
            std -> log/log.go:New
        "#]],
    );
}

#[test]
fn python_returns_attributes_and_own_class_constructions_type_their_receivers() {
    // Every method name has two or more candidates: only inferred types pick one.
    check(
        &[
            (
                "orm/query.py",
                "\
class Query:
    def add_filter(self, f):
        pass

    def clone(self):
        obj = self.__class__()
        return obj

class Other:
    def add_filter(self, f):
        pass

    def clone(self):
        return Other()
",
            ),
            (
                "orm/queryset.py",
                "\
from orm.query import Query

class QuerySet:
    def __init__(self):
        self._query = Query()

    @property
    def query(self):
        return self._query

    def _chain(self):
        c = type(self)()
        return c

    def filter(self, f):
        clone = self._chain()
        clone.query.add_filter(f)
        return clone

    @classmethod
    def make(cls):
        qs = cls()
        qs.filter(None)
        return qs

class Manager:
    def filter(self, f):
        pass
",
            ),
            (
                "orm/use.py",
                "\
import typing as t
from orm.query import Query
from orm.queryset import QuerySet

def run(qs: QuerySet):
    qs.filter(1).query.clone().add_filter(2)

def cast_one(x):
    q = t.cast(\"Query\", x)
    q.clone()
",
            ),
        ],
        expect![[r#"
            Other.clone -> orm/query.py:Other
            QuerySet.__init__ -> orm/query.py:Query
            QuerySet.filter -> orm/query.py:Query.add_filter
            QuerySet.filter -> orm/queryset.py:QuerySet._chain
            QuerySet.make -> orm/queryset.py:QuerySet.filter
            cast_one -> orm/query.py:Query.clone
            run -> orm/query.py:Query.add_filter
            run -> orm/query.py:Query.clone
            run -> orm/queryset.py:QuerySet.filter
        "#]],
    );
}

#[test]
fn nested_functions_except_clauses_mappings_and_class_attributes_called() {
    check(
        &[(
            "cli/core.py",
            "\
import typing as t

class Abort(Exception):
    def show(self):
        pass

class Exit(Exception):
    def show(self):
        pass

class Context:
    def scope(self):
        pass

class Option:
    def process(self, value):
        pass

class Argument:
    def process(self, value):
        pass

class Group:
    context_class: t.Type[Context] = Context

    def __init__(self):
        self._long_opt: t.Dict[str, Option] = {}

    def add_command(self, cmd):
        pass

    def command(self):
        def decorator(f):
            self.add_command(f)
            return f
        return decorator(None)

    def main(self, opt):
        ctx = self.context_class()
        ctx.scope()
        self._long_opt[opt].process(1)
        try:
            pass
        except Abort as e:
            e.show()
        except Exit as e:
            e.show()

def option():
    def decorator(f):
        return f
    return decorator
",
        )],
        expect![[r#"
            Group.command -> cli/core.py:Group.decorator
            Group.decorator -> cli/core.py:Group.add_command
            Group.main -> cli/core.py:Abort.show
            Group.main -> cli/core.py:Context.scope
            Group.main -> cli/core.py:Exit.show
            Group.main -> cli/core.py:Option.process
        "#]],
    );
}

#[test]
fn javascript_builtin_methods_on_unknown_receivers_are_not_project_calls() {
    // `params.push` is an array's; `q.drain` can only be the project's one `drain`.
    check(
        &[(
            "lib/queue.js",
            "\
class Queue {
  push(x) {}
  drain() {}
}

function build(params, q) {
  params.push(1);
  q.drain();
}
",
        )],
        expect![[r#"
            build -> lib/queue.js:Queue.drain
        "#]],
    );
}

#[test]
fn typescript_annotations_fields_and_results_type_their_receivers() {
    // Two `next`, two `unsubscribe`, two `add`: only the declared types pick one.
    check(
        &[
            (
                "src/Subscription.ts",
                "\
export class Subscription {
  add(teardown: Subscription): void {}
  unsubscribe(): void {}
}

export class Other {
  add(x: number): void {}
  unsubscribe(): void {}
  next(): void {}
}
",
            ),
            (
                "src/Subscriber.ts",
                "\
import { Subscription } from './Subscription';

export class Subscriber<T> extends Subscription {
  protected destination: Subscriber<T> | null;
  private subs: Subscription[] = [];

  constructor(private readonly parent?: Subscription) {
    super();
    this.destination = null;
  }

  unsubscribe(): void {
    super.unsubscribe();
  }

  next(value: T): void {
    this.destination!.next(value);
    this.parent?.unsubscribe();
    for (const s of this.subs) {
      s.add(this);
    }
  }

  static create<T>(): Subscriber<T> {
    return new Subscriber<T>();
  }
}

export function run(sub: Subscription) {
  const child = Subscriber.create<number>();
  child.next(1);
  const extra = new Subscription();
  extra.unsubscribe();
  sub.add(extra);
}
",
            ),
        ],
        expect![[r#"
            Subscriber.constructor -> src/Subscription.ts:Subscription
            Subscriber.create -> src/Subscriber.ts:Subscriber
            Subscriber.next -> src/Subscriber.ts:Subscriber.next
            Subscriber.next -> src/Subscription.ts:Subscription.add
            Subscriber.next -> src/Subscription.ts:Subscription.unsubscribe
            Subscriber.unsubscribe -> src/Subscription.ts:Subscription.unsubscribe
            run -> src/Subscriber.ts:Subscriber.create
            run -> src/Subscriber.ts:Subscriber.next
            run -> src/Subscription.ts:Subscription
            run -> src/Subscription.ts:Subscription.add
            run -> src/Subscription.ts:Subscription.unsubscribe
        "#]],
    );
}

#[test]
fn typescript_callbacks_take_the_parameter_types_their_callee_declares() {
    // `subscriber` is untyped in the source; `operate` and the constructor declare what it is.
    check(
        &[
            (
                "src/Subscriber.ts",
                "\
export class Subscriber<T> {
  next(value: T): void {}
}
export class Other {
  next(value: number): void {}
}
",
            ),
            (
                "src/Observable.ts",
                "\
import { Subscriber } from './Subscriber';

export class Observable<T> {
  constructor(subscribe?: (this: Observable<T>, subscriber: Subscriber<T>) => void) {}
  subscribe(): void {}
}
",
            ),
            (
                "src/operators/map.ts",
                "\
import { Observable } from '../Observable';
import { Subscriber } from '../Subscriber';

export function operate<T, R>(init: (liftedSource: Observable<T>, subscriber: Subscriber<R>) => void): void {}

export function map<T>(value: T) {
  return operate((source, subscriber) => {
    source.subscribe();
    subscriber.next(value);
  });
}

export function of<T>(value: T) {
  return new Observable<T>((subscriber) => subscriber.next(value));
}

export function connector() {}

export function share(config: { connector?: () => void }) {
  const { connector = () => {} } = config;
  connector();
}
",
            ),
        ],
        expect![[r#"
            map -> src/Observable.ts:Observable.subscribe
            map -> src/Subscriber.ts:Subscriber.next
            map -> src/operators/map.ts:operate
            of -> src/Observable.ts:Observable
            of -> src/Subscriber.ts:Subscriber.next
        "#]],
    );
}

#[test]
fn rust_parameters_lets_fields_and_self_results_type_their_receivers() {
    // Two `run` and two `unpark` methods: the declared types pick one. `v.push` on a `Vec` keeps the
    // unique-name guess (`Queue::push`): a project trait may add methods to a std type, so an external
    // receiver does not rule a project method out in Rust.
    check(
        &[
            (
                "src/park.rs",
                "\
pub struct Parker {}
impl Parker {
    pub fn new() -> Self { Parker {} }
    pub fn unpark(&self) {}
}
pub struct Other {}
impl Other {
    pub fn unpark(&self) {}
    pub fn run(&mut self) {}
}
pub struct Queue {}
impl Queue {
    pub fn push(&mut self, x: u32) {}
}
",
            ),
            (
                "src/worker.rs",
                "\
use crate::park::Parker;
use std::sync::Arc;

pub struct Core {
    park: Option<Parker>,
    shared: Arc<Shared>,
}
pub struct Shared {}
impl Shared {
    fn run(&self) {}
}

impl Core {
    fn tick(&mut self, remote: &Parker, v: Vec<u32>) {
        self.shared.run();
        remote.unpark();
        let p = Parker::new();
        p.unpark();
        let q: Arc<Shared> = self.shared.clone();
        q.run();
        let mut v = v;
        v.push(1);
    }
}
",
            ),
        ],
        expect![[r#"
            Core::tick -> src/park.rs:Parker::new
            Core::tick -> src/park.rs:Parker::unpark
            Core::tick -> src/park.rs:Queue::push
            Core::tick -> src/worker.rs:Shared::run
        "#]],
    );
}

#[test]
fn java_and_csharp_declarations_type_their_receivers() {
    // Two `write` and two `emit` methods: fields, locals, `var`, parameters and results pick one.
    check(
        &[
            (
                "src/main/java/app/Sink.java",
                "\
package app;

class Sink {
    void write(String s) {}
}

class Other {
    void write(String s) {}
    Sink sink() { return null; }
}

class Router {
    private Sink sink = new Sink();
    private java.util.List<Other> others;

    Sink current() { return sink; }

    void route(Other other) {
        sink.write(\"a\");
        var fresh = new Sink();
        fresh.write(\"b\");
        other.sink().write(\"c\");
        current().write(\"d\");
        for (Other o : others) {
            o.write(\"e\");
        }
    }
}
",
            ),
            (
                "src/Logger.cs",
                "\
namespace Log {
    class LogEvent {
        public void Emit() {}
    }
    class Other {
        public void Emit() {}
    }
    class Logger {
        public LogEvent Last { get; }
        private readonly Other _other = new Other();

        public void Write(LogEvent e) {
            e.Emit();
            var copy = new LogEvent();
            copy.Emit();
            _other.Emit();
            this.Last.Emit();
        }
    }
}
",
            ),
        ],
        expect![[r#"
            Logger -> src/Logger.cs:Other
            Logger.Write -> src/Logger.cs:LogEvent
            Logger.Write -> src/Logger.cs:LogEvent.Emit
            Logger.Write -> src/Logger.cs:Other.Emit
            Router -> src/main/java/app/Sink.java:Sink
            Router.route -> src/main/java/app/Sink.java:Other.sink
            Router.route -> src/main/java/app/Sink.java:Other.write
            Router.route -> src/main/java/app/Sink.java:Router.current
            Router.route -> src/main/java/app/Sink.java:Sink
            Router.route -> src/main/java/app/Sink.java:Sink.write
        "#]],
    );
}
