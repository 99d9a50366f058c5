//! Parser facts per language and construct, as data: each test parses a small realistic source and compares
//! a readable dump of everything [`FileFacts`] holds with an `expect![[...]]` snapshot (refresh them with
//! `UPDATE_EXPECT=1` and read the diff).

use expect_test::{Expect, expect};
use leindex_engine::model::{FileFacts, ImportFact, Language, RefFact, SymbolFact};
use leindex_engine::parse::parse;
use std::fmt::Write;

/// Compares the facts of `src`, parsed at a default path for `lang`, with `expected`.
fn check(lang: Language, src: &str, expected: Expect) {
    let path = match lang {
        Language::Rust => "src/lib.rs",
        Language::Python => "pkg/mod.py",
        Language::TypeScript => "src/mod.ts",
        Language::Tsx => "src/app.tsx",
        Language::JavaScript => "src/mod.js",
        Language::Go => "pkg/mod.go",
        Language::Java => "src/Mod.java",
        Language::C => "src/mod.c",
        Language::Cpp => "src/mod.cpp",
        Language::CSharp => "src/Mod.cs",
        Language::Ruby => "lib/mod.rb",
    };
    check_at(lang, path, src, expected);
}

/// Like [`check`], at a given project-relative path (the module symbol's name is derived from it).
fn check_at(lang: Language, path: &str, src: &str, expected: Expect) {
    expected.assert_eq(&facts_dump(lang, path, src));
}

/// Renders every field of the facts of `src`, deterministically: one block per symbol (index, kind,
/// qualified name, parent, line and byte span, complexity, signature, doc, body terms), then the imports and
/// references made from it in line order. Values that follow from the others are printed only when they
/// do not (a parent other than the file's module, `loc` other than the line count, a simple name other than
/// the last segment of the qualified name), so the dump stays short and still shows every fact.
fn facts_dump(lang: Language, path: &str, src: &str) -> String {
    let f = parse(lang, path, src).expect("parses");
    assert_eq!((f.path.as_str(), f.language), (path, lang));
    let mut out = String::new();
    if f.syntax_errors > 0 {
        writeln!(out, "syntax errors: {}", f.syntax_errors).unwrap();
    }
    for (i, s) in f.symbols.iter().enumerate() {
        symbol_header(&mut out, &f, i, s);
        for (label, text) in [
            ("sig", &s.signature),
            ("doc", &s.doc),
            ("terms", &s.body_terms),
            ("strings", &s.literals),
        ] {
            if !text.is_empty() {
                writeln!(out, "    {label}: {text}").unwrap();
            }
        }
        let mut lines: Vec<(u32, String)> = f
            .imports
            .iter()
            .filter(|im| im.from as usize == i)
            .map(|im| (im.line, import_line(im)))
            .chain(
                f.refs
                    .iter()
                    .filter(|r| r.from as usize == i)
                    .map(|r| (r.line, ref_line(r))),
            )
            .collect();
        // Stable: facts on one line keep the order the parser emitted them in.
        lines.sort_by_key(|(line, _)| *line);
        for (line, text) in lines {
            writeln!(out, "    L{line} {text}").unwrap();
        }
    }
    let n = f.symbols.len();
    for im in f.imports.iter().filter(|im| im.from as usize >= n) {
        writeln!(
            out,
            "from missing [{}]: L{} {}",
            im.from,
            im.line,
            import_line(im)
        )
        .unwrap();
    }
    for r in f.refs.iter().filter(|r| r.from as usize >= n) {
        writeln!(
            out,
            "from missing [{}]: L{} {}",
            r.from,
            r.line,
            ref_line(r)
        )
        .unwrap();
    }
    out
}

/// `[2] method Core::steal_work in [1] L9-17 @120..340 complexity 5`.
fn symbol_header(out: &mut String, f: &FileFacts, i: usize, s: &SymbolFact) {
    write!(out, "[{i}] {} {}", s.kind.name(), s.qualified_name).unwrap();
    let last_segment = s
        .qualified_name
        .rsplit(['.', ':', '/'])
        .next()
        .unwrap_or("");
    if s.name != last_segment {
        write!(out, " (name {})", s.name).unwrap();
    }
    match (i, s.parent) {
        (0, None) => {}
        (_, None) => write!(out, " (no parent)").unwrap(),
        (_, Some(0)) if i != 0 => {}
        (_, Some(p)) => {
            let parent = f.symbols.get(p as usize).map_or("?", |p| &p.qualified_name);
            write!(out, " in [{p}] {parent}").unwrap();
        }
    }
    write!(
        out,
        " L{}-{} @{}..{}",
        s.line_start, s.line_end, s.byte_start, s.byte_end
    )
    .unwrap();
    if s.loc != s.line_end + 1 - s.line_start {
        write!(out, " loc {}", s.loc).unwrap();
    }
    if s.complexity != 0 {
        write!(out, " complexity {}", s.complexity).unwrap();
    }
    out.push('\n');
}

/// `import H from crate::runtime (original "Handle")`; `*` for a whole-module import (empty name).
fn import_line(im: &ImportFact) -> String {
    let name = if im.name.is_empty() { "*" } else { &im.name };
    let mut text = format!("import {name} from {}", im.module);
    if im.original != im.name {
        write!(text, " (original {:?})", im.original).unwrap();
    }
    text
}

/// `call next_task on self`, `write count on self`, `type Worker`.
fn ref_line(r: &RefFact) -> String {
    let kind = format!("{:?}", r.kind).to_lowercase();
    match &r.qualifier {
        Some(q) => format!("{kind} {} on {q}", r.name),
        None => format!("{kind} {}", r.name),
    }
}

// ---- Rust ----

#[test]
fn rust_module_from_path_inner_doc_and_use_trees() {
    check_at(
        Language::Rust,
        "src/runtime/worker.rs",
        r#"//! Worker module.
use crate::runtime::{task::Notified, Handle as H};
use std::sync::Arc;
"#,
        expect![[r#"
            [0] module runtime::worker L1-3 @0..90
                sig: src/runtime/worker.rs
                doc: Worker module.
                L2 import Notified from crate::runtime::task
                L2 import H from crate::runtime (original "Handle")
                L3 import Arc from std::sync
        "#]],
    );
}

#[test]
fn rust_impl_methods_docs_calls_field_writes_complexity() {
    // steal_work: if + && + for + ? = 4 decisions → complexity 5.
    check(
        Language::Rust,
        r#"/// A worker core.
pub struct Core { lifo: Option<u32>, count: usize }

impl Core {
    /// Steals work from siblings.
    fn steal_work(&mut self, worker: &Worker) -> Option<Notified> {
        if self.count > 0 && worker.is_idle() {
            self.count = 0;
        }
        for i in 0..3 { let _ = i; }
        let n = self.next_task()?;
        Steal::steal_into(n)
    }
    fn next_task(&self) -> Option<Notified> { self.lifo.map(|x| x) }
}
"#,
        expect![[r#"
            [0] module lib L1-15 @0..451
                sig: src/lib.rs
                L4 type Core
            [1] struct Core L2-2 @19..70
                sig: pub struct Core
                doc: A worker core.
                terms: Core lifo Option count
                L2 type Option
            [2] method Core::steal_work in [1] Core L6-13 @123..379 complexity 5
                sig: fn steal_work(&mut self, worker: &Worker) -> Option<Notified>
                doc: Steals work from siblings.
                terms: steal_work worker Worker Option Notified count worker is_idle count i i n next_task Steal steal_into n
                L6 type Worker
                L6 type Option
                L6 type Notified
                L7 read count on self
                L7 call is_idle on worker
                L8 write count on self
                L11 call next_task on self
                L12 call steal_into on Steal
            [3] method Core::next_task in [1] Core L14-14 @384..448 complexity 1
                sig: fn next_task(&self) -> Option<Notified>
                terms: next_task Option Notified lifo map x x
                L14 type Option
                L14 type Notified
                L14 call map on self.lifo
                L14 read lifo on self
        "#]],
    );
}

#[test]
fn rust_traits_and_trait_impls() {
    check(
        Language::Rust,
        r#"pub struct Core { lifo: Option<u32>, count: usize }
trait Schedule: Send { fn schedule(&self); }
impl Schedule for Core { fn schedule(&self) { helper(); } }
fn helper() {}
"#,
        expect![[r#"
            [0] module lib L1-4 @0..172
                sig: src/lib.rs
                L3 implement Schedule on Core
                L3 type Schedule
                L3 type Core
            [1] struct Core L1-1 @0..51
                sig: pub struct Core
                terms: Core lifo Option count
                L1 type Option
            [2] trait Schedule L2-2 @52..96
                sig: trait Schedule: Send
                terms: Schedule Send
                L2 inherit Send
                L2 type Send
            [3] method Schedule::schedule in [2] Schedule L2-2 @75..94 complexity 1
                sig: fn schedule(&self);
                terms: schedule
            [4] method Core::schedule in [1] Core L3-3 @122..154 complexity 1
                sig: fn schedule(&self)
                terms: schedule helper
                L3 call helper
            [5] function helper L4-4 @157..171 complexity 1
                sig: fn helper()
                terms: helper
        "#]],
    );
}

// ---- Python ----

#[test]
fn python_module_docstring_imports_and_globals() {
    check_at(
        Language::Python,
        "django/db/models/query.py",
        r#""""Query sets."""
from django.db.models.query_utils import Q
import logging as log

CHUNK = 100
"#,
        expect![[r#"
            [0] module django.db.models.query L1-5 @0..96
                sig: django/db/models/query.py
                doc: Query sets.
                L2 import Q from django.db.models.query_utils
                L3 import log from logging (original "")
            [1] global CHUNK L5-5 @84..95
                sig: CHUNK = 100
                terms: CHUNK
        "#]],
    );
}

#[test]
fn python_class_methods_docstrings_inheritance_field_and_global_access() {
    // filter: if + or = 2 decisions → complexity 3.
    check(
        Language::Python,
        r#"CHUNK = 100

class QuerySet(BaseIterable, mixins.Mixin):
    """Represent a lazy database lookup."""

    def filter(self, *args, **kwargs):
        """Return a new QuerySet instance."""
        if args or kwargs:
            self._hints = {}
        return self._filter_or_exclude(False, args, kwargs)

    def _filter_or_exclude(self, negate, args, kwargs):
        clone = self._chain()
        print(self._hints, CHUNK)
        return clone
"#,
        expect![[r#"
            [0] module pkg.mod L1-15 @0..445
                sig: pkg/mod.py
            [1] global CHUNK L1-1 @0..11
                sig: CHUNK = 100
                terms: CHUNK
            [2] class QuerySet L3-15 @13..444
                sig: class QuerySet(BaseIterable, mixins.Mixin)
                doc: Represent a lazy database lookup.
                terms: QuerySet BaseIterable mixins Mixin
                L3 inherit BaseIterable
                L3 inherit Mixin
            [3] method QuerySet.filter in [2] QuerySet L6-10 @106..302 complexity 3
                sig: def filter(self, *args, **kwargs)
                doc: Return a new QuerySet instance.
                terms: filter self args kwargs args kwargs self _hints self _filter_or_exclude args kwargs
                L9 write _hints on self
                L10 call _filter_or_exclude on self
            [4] method QuerySet._filter_or_exclude in [2] QuerySet L12-15 @308..444 complexity 1
                sig: def _filter_or_exclude(self, negate, args, kwargs)
                terms: _filter_or_exclude self negate args kwargs clone self _chain print self _hints CHUNK clone
                L12 read CHUNK
                L13 call _chain on self
                L14 call print
                L14 read _hints on self
        "#]],
    );
}

#[test]
fn python_annotations_and_comprehensions() {
    check(
        Language::Python,
        r#"def helper(x: QuerySet) -> int:
    return [y for y in x if y]
"#,
        expect![[r#"
            [0] module pkg.mod L1-2 @0..63
                sig: pkg/mod.py
            [1] function helper L1-2 @0..62 complexity 3
                sig: def helper(x: QuerySet) -> int
                terms: helper x QuerySet int y y x y
                L1 type QuerySet
                L1 type int
        "#]],
    );
}

#[test]
fn python_syntax_errors_are_counted_and_the_rest_is_indexed() {
    check(
        Language::Python,
        "def good():\n    return 1\n\ndef broken(:\n    pass\n\nclass After:\n    def m(self): pass\n",
        expect![[r#"
            syntax errors: 1
            [0] module pkg.mod L1-8 @0..84
                sig: pkg/mod.py
            [1] function good L1-2 @0..24 complexity 1
                sig: def good()
                terms: good
            [2] function broken L4-5 @26..47 complexity 1
                sig: def broken(
                terms: broken
            [3] class After L7-8 @49..83
                sig: class After
                terms: After
            [4] method After.m in [3] After L8-8 @66..83 complexity 1
                sig: def m(self)
                terms: m self
        "#]],
    );
}

// ---- TypeScript, TSX, JavaScript ----

#[test]
fn typescript_named_aliased_and_namespace_imports() {
    check_at(
        Language::TypeScript,
        "src/internal/operators/map.ts",
        r#"import { Observable } from '../Observable';
import { OperatorFunction as OF } from '../types';
import * as util from './util';
"#,
        expect![[r#"
            [0] module src/internal/operators/map L1-3 @0..127
                sig: src/internal/operators/map.ts
                L1 import Observable from ../Observable
                L2 import OF from ../types (original "OperatorFunction")
                L3 import util from ./util (original "*")
        "#]],
    );
}

#[test]
fn typescript_function_doc_and_calls_inside_callbacks() {
    check(
        Language::TypeScript,
        r#"/** Applies a projection to each value. */
export function map<T, R>(project: (value: T) => R): OF<T, R> {
  return operate((source, subscriber) => {
    source.subscribe(createOperatorSubscriber(subscriber, (value) => project(value)));
  });
}
"#,
        expect![[r#"
            [0] module src/mod L1-6 @0..245
                sig: src/mod.ts
            [1] function map L2-6 @43..244 complexity 1
                sig: function map<T, R>(project: (value: T) => R): OF<T, R>
                doc: Applies a projection to each value.
                terms: map T R project value T R OF T R operate source subscriber source subscribe createOperatorSubscriber subscriber value project value
                L2 type T
                L2 type R
                L2 type OF
                L3 call operate
                L4 call subscribe on source
                L4 call createOperatorSubscriber
        "#]],
    );
}

#[test]
fn typescript_interfaces_classes_heritage_and_this_fields() {
    check(
        Language::TypeScript,
        r#"export interface Subscribable<T> extends Base { subscribe(o: Observer<T>): Unsubscribable; }

export class Subject<T> extends Observable<T> implements SubscriptionLike {
  closed = false;
  next(value: T) {
    if (!this.closed) { this.observers.forEach((o) => o.next(value)); }
  }
  complete = () => { this.closed = true; };
}
"#,
        expect![[r#"
            [0] module src/mod L1-9 @0..329
                sig: src/mod.ts
            [1] interface Subscribable L1-1 @0..92
                sig: interface Subscribable<T> extends Base
                terms: Subscribable T Base
                L1 inherit Base
                L1 type T
                L1 type Base
            [2] method Subscribable.subscribe in [1] Subscribable L1-1 @48..89 complexity 1
                sig: subscribe(o: Observer<T>): Unsubscribable
                terms: subscribe o Observer T Unsubscribable
                L1 type Observer
                L1 type T
                L1 type Unsubscribable
            [3] class Subject L3-9 @94..328
                sig: class Subject<T> extends Observable<T> implements SubscriptionLike
                terms: Subject T Observable T SubscriptionLike closed
                L3 inherit Observable
                L3 implement SubscriptionLike
                L3 type T
                L3 type SubscriptionLike
            [4] method Subject.next in [3] Subject L5-7 @190..282 complexity 2
                sig: next(value: T)
                terms: next value T closed observers forEach o o next value
                L5 type T
                L6 read closed on this
                L6 call forEach on this.observers
                L6 read observers on this
                L6 call next on o
            [5] method Subject.complete in [3] Subject L8-8 @285..325 complexity 1
                sig: complete = () =>
                terms: complete closed
                L8 write closed on this
        "#]],
    );
}

#[test]
fn typescript_arrow_functions_bound_to_consts() {
    check(
        Language::TypeScript,
        "const pipeFromArray = (fns: Array<any>) => fns.reduce((prev, fn) => fn(prev), util.identity);\n",
        expect![[r#"
            [0] module src/mod L1-1 @0..94
                sig: src/mod.ts
            [1] function pipeFromArray L1-1 @0..92 complexity 1
                sig: pipeFromArray = (fns: Array<any>) =>
                terms: pipeFromArray fns Array fns reduce prev fn fn prev util identity
                L1 type Array
                L1 call reduce on fns
        "#]],
    );
}

#[test]
fn javascript_class_heritage_calls_and_nullish_complexity() {
    // `??` is a decision: helper has complexity 2.
    check(
        Language::JavaScript,
        "class A extends B { m() { return helper(this.x); } }\nfunction helper(v) { return v ?? 0; }\n",
        expect![[r#"
            [0] module src/mod L1-2 @0..91
                sig: src/mod.js
            [1] class A L1-1 @0..52
                sig: class A extends B
                terms: A B
                L1 inherit B
            [2] method A.m in [1] A L1-1 @20..50 complexity 1
                sig: m()
                terms: m helper x
                L1 call helper
                L1 read x on this
            [3] function helper L2-2 @53..90 complexity 2
                sig: function helper(v)
                terms: helper v v
        "#]],
    );
}

#[test]
fn javascript_commonjs_members_prototypes_and_exports() {
    // Methods assigned on objects and prototypes, exports, and an object of functions; the locals of an
    // assigned function are not module globals.
    check(
        Language::JavaScript,
        r#"var res = Object.create(http.ServerResponse.prototype);
/** Send a response. */
res.send = function send(body) {
  var chunk = body;
  return this.end(chunk);
};
res.json = (obj) => res.send(JSON.stringify(obj));
Router.prototype.handle = function (req) { return this.stack; };
exports.compile = function (str) { return str; };
module.exports = function createApp() { var app = {}; return app; };
var proto = module.exports.proto = {
  route: function route(path) { return path; },
  use(fn) { return fn; },
};
"#,
        expect![[r#"
            [0] module src/mod L1-14 @0..511
                sig: src/mod.js
            [1] global res L1-1 @0..54
                sig: res = Object.create(http.ServerResponse.prototype)
                terms: res Object create http ServerResponse prototype
                L1 call create on Object
            [2] method res.send L3-6 @80..160 complexity 1
                sig: res.send = function send(body)
                doc: Send a response.
                terms: res send send body chunk body end chunk
                L3 read res
                L5 call end on this
            [3] method res.json L7-7 @162..211 complexity 1
                sig: res.json = (obj) =>
                terms: res json obj res send JSON stringify obj
                L7 call send on res
                L7 call stringify on JSON
                L7 read res
            [4] method Router.handle L8-8 @213..276 complexity 1
                sig: Router.prototype.handle = function (req)
                terms: Router prototype handle req stack
                L8 read stack on this
            [5] function compile L9-9 @278..326 complexity 1
                sig: exports.compile = function (str)
                terms: exports compile str str
            [6] function createApp L10-10 @328..395 complexity 1
                sig: module.exports = function createApp()
                terms: module exports createApp app app
            [7] global proto L11-14 @397..509
                sig: proto = module.exports.proto =
                terms: proto module exports proto
            [8] method proto.route in [7] proto L12-12 @436..480 complexity 1
                sig: route: function route(path)
                terms: route route path path
            [9] method proto.use in [7] proto L13-13 @484..506 complexity 1
                sig: use(fn)
                terms: use fn fn
        "#]],
    );
}

#[test]
fn javascript_properties_defined_through_calls() {
    // `Object.defineProperty` with a getter, a helper of the same shape, and calls that only look alike.
    check(
        Language::JavaScript,
        r#"Object.defineProperty(req, 'fresh', { get: function () { return fresh(this); } });
defineGetter(req, 'stale', function stale() { return !this.fresh; });
app.get('/path', function (req, res) { res.send('x'); });
Object.defineProperty(exports, 'version', { value: () => '1.0' });
"#,
        expect![[r#"
            [0] module src/mod L1-4 @0..278
                sig: src/mod.js
                L3 call get on app
                L3 call send on res
            [1] method req.fresh L1-1 @0..81 complexity 1
                sig: Object.defineProperty(req, 'fresh', { get: function ()
                terms: Object defineProperty req get fresh
                strings: 'fresh'
                L1 call fresh
            [2] method req.stale L2-2 @83..151 complexity 1
                sig: defineGetter(req, 'stale', function stale()
                terms: defineGetter req stale fresh
                strings: 'stale'
                L2 read fresh on this
            [3] function version L4-4 @211..276 complexity 1
                sig: Object.defineProperty(exports, 'version', { value: () =>
                terms: Object defineProperty exports value
                strings: 'version' '1.0'
        "#]],
    );
}

#[test]
fn javascript_module_wrappers_reassigned_and_named_function_expressions() {
    // The bluebird shape: an anonymous module export wrapping the code, functions assigned to declared
    // variables and to `this`, and a named function expression returned from a function.
    check(
        Language::JavaScript,
        r#"var getGetter;
module.exports = function (Promise) {
  function Async() { this.drain = function () { return 1; }; }
  getGetter = function (name) { return name; };
  Promise.prototype.get = function get() { return getGetter('x'); };
};
function pipe(fns) { return function piped(input) { return fns.reduce(input); }; }
"#,
        expect![[r#"
            [0] module src/mod L1-7 @0..319
                sig: src/mod.js
            [1] global getGetter L1-1 @0..13
                sig: getGetter
                terms: getGetter
            [2] function exports L2-6 @15..234 complexity 1
                sig: module.exports = function (Promise)
                terms: module exports Promise
            [3] function Async in [2] exports L3-3 @55..115 complexity 1
                sig: function Async()
                terms: Async
            [4] function drain in [3] Async L3-3 @74..112 complexity 1
                sig: this.drain = function ()
                terms: drain
                L3 read drain on this
            [5] function getGetter in [2] exports L4-4 @118..162 complexity 1
                sig: getGetter = function (name)
                terms: getGetter name name
                L4 read getGetter
            [6] method Promise.get in [2] exports L5-5 @166..231 complexity 1
                sig: Promise.prototype.get = function get()
                terms: Promise prototype get get getGetter
                strings: 'x'
                L5 call getGetter
                L5 read getGetter
            [7] function pipe L7-7 @236..318 complexity 1
                sig: function pipe(fns)
                terms: pipe fns
            [8] function piped in [7] pipe L7-7 @264..315 complexity 1
                sig: function piped(input)
                terms: piped input fns reduce input
                L7 call reduce on fns
        "#]],
    );
}

#[test]
fn javascript_callbacks_and_iifes_keep_their_declarations_local() {
    check(
        Language::JavaScript,
        r#"var top = 1;
(function () {
  var hidden = 2;
  helper(hidden);
})();
describe('x', () => { const inner = 3; });
"#,
        expect![[r#"
            [0] module src/mod L1-6 @0..113
                sig: src/mod.js
                L4 call helper
                L6 call describe
            [1] global top L1-1 @0..11
                sig: top = 1
                terms: top
        "#]],
    );
}

#[test]
fn tsx_arrow_components_and_calls_in_jsx() {
    check(
        Language::Tsx,
        "export const App = (p: Props) => <div onClick={() => go(p)}>{p.x}</div>;\n",
        expect![[r#"
            [0] module src/app L1-1 @0..73
                sig: src/app.tsx
            [1] function App L1-1 @0..71 complexity 1
                sig: App = (p: Props) =>
                terms: App p Props div onClick go p p x div
                L1 type Props
                L1 call go
        "#]],
    );
}

// ---- Go ----

#[test]
fn go_imports_plain_and_aliased() {
    check_at(
        Language::Go,
        "net/http/server.go",
        r#"package http

import (
	"fmt"
	ctx "context"
)
"#,
        expect![[r#"
            [0] module net/http/server L1-6 @0..47
                sig: net/http/server.go
                L4 import fmt from fmt (original "")
                L5 import ctx from context (original "")
        "#]],
    );
}

#[test]
fn go_struct_embedding_and_pointer_receiver_methods() {
    // ListenAndServe: one if → complexity 2.
    check(
        Language::Go,
        r#"package http

// Server serves HTTP.
type Server struct {
	Handler
	addr string
}

// ListenAndServe listens on addr.
func (srv *Server) ListenAndServe() error {
	if srv.addr == "" {
		srv.addr = ":http"
	}
	fmt.Println(srv.addr)
	return srv.Serve(nil)
}

func NewServer() *Server { return &Server{} }
"#,
        expect![[r#"
            [0] module pkg/mod L1-18 @0..302
                sig: pkg/mod.go
            [1] struct Server L4-7 @37..81
                sig: Server
                doc: Server serves HTTP.
                terms: Server Handler addr string
                L4 inherit Handler
                L5 type Handler
                L6 type string
            [2] method Server.ListenAndServe in [1] Server L10-16 @118..254 complexity 2
                sig: func (srv *Server) ListenAndServe() error
                doc: ListenAndServe listens on addr.
                terms: srv Server ListenAndServe error srv addr srv addr fmt Println srv addr srv Serve
                strings: "" ":http"
                L10 type Server
                L10 type error
                L11 read addr on srv
                L12 write addr on srv
                L14 call Println on fmt
                L15 call Serve on srv
            [3] function NewServer L18-18 @256..301 complexity 1
                sig: func NewServer() *Server
                terms: NewServer Server Server
                L18 type Server
        "#]],
    );
}

// ---- Java ----

#[test]
fn java_class_heritage_constructor_methods_and_imports() {
    // add: a ternary → complexity 2; `new Itr()` is a call of Itr.
    check_at(
        Language::Java,
        "java/util/ArrayList.java",
        r#"package java.util;
import java.util.function.Consumer;

/** A resizable array. */
public class ArrayList<E> extends AbstractList<E> implements List<E>, RandomAccess {
    private int size;
    public ArrayList() { this.size = 0; }
    /** Appends an element. */
    public boolean add(E e) {
        ensureCapacity(size + 1);
        return this.size > 0 ? true : false;
    }
    private void ensureCapacity(int n) { Objects.requireNonNull(n); new Itr(); }
}
"#,
        expect![[r#"
            [0] module java/util/ArrayList L1-14 @0..460
                sig: java/util/ArrayList.java
                L2 import Consumer from java.util.function
            [1] class ArrayList L5-14 @82..459
                sig: public class ArrayList<E> extends AbstractList<E> implements List<E>, RandomAccess
                doc: A resizable array.
                terms: ArrayList E AbstractList E List E RandomAccess size /** Appends an element. */
                L5 inherit AbstractList
                L5 implement List
                L5 implement RandomAccess
                L5 type E
                L5 type AbstractList
                L5 type List
                L5 type RandomAccess
            [2] method ArrayList.ArrayList in [1] ArrayList L7-7 @193..230 complexity 1
                sig: public ArrayList()
                terms: ArrayList size
                L7 write size on this
            [3] method ArrayList.add in [1] ArrayList L9-12 @266..376 complexity 2
                sig: public boolean add(E e)
                doc: Appends an element.
                terms: add E e ensureCapacity size size
                L9 type E
                L10 call ensureCapacity
                L11 read size on this
            [4] method ArrayList.ensureCapacity in [1] ArrayList L13-13 @381..457 complexity 1
                sig: private void ensureCapacity(int n)
                terms: ensureCapacity n Objects requireNonNull n Itr
                L13 call requireNonNull on Objects
                L13 call Itr
                L13 type Itr
        "#]],
    );
}

// ---- C and C++ ----

#[test]
fn c_system_and_local_includes() {
    check(
        Language::C,
        "#include <stdio.h>\n#include \"sqliteInt.h\"\n",
        expect![[r#"
            [0] module src/mod L1-2 @0..42
                sig: src/mod.c
                L1 import * from stdio.h
                L2 import * from sqliteInt.h
        "#]],
    );
}

#[test]
fn c_functions_comments_globals_structs_and_typedefs() {
    // sqlite3_open: if + || = 2 decisions → complexity 3.
    check(
        Language::C,
        r#"static int nCall = 0;

/* Open a database. */
int sqlite3_open(const char *zName, sqlite3 **ppDb) {
  nCall++;
  if (zName == 0 || ppDb == 0) return 1;
  return openDatabase(zName, ppDb);
}

struct Btree { int nRef; };
typedef struct Btree Btree;
"#,
        expect![[r#"
            [0] module src/mod L1-11 @0..247
                sig: src/mod.c
            [1] global nCall L1-1 @0..21
                sig: static int nCall = 0;
                terms: nCall
            [2] function sqlite3_open L4-8 @46..189 complexity 3
                sig: int sqlite3_open(const char *zName, sqlite3 **ppDb)
                doc: Open a database.
                terms: sqlite3_open zName sqlite3 ppDb nCall zName ppDb openDatabase zName ppDb
                L4 type sqlite3
                L4 read nCall
                L5 write nCall
                L7 call openDatabase
            [3] struct Btree L10-10 @191..217
                sig: struct Btree
                terms: Btree nRef
            [4] type Btree L11-11 @219..246
                sig: typedef struct Btree Btree;
                terms: Btree Btree
        "#]],
    );
}

#[test]
fn cpp_namespaces_classes_inline_and_out_of_line_methods() {
    check(
        Language::Cpp,
        r#"namespace db {
class Pager : public Base {
 public:
  int get(int n) { return fetch(n); }
  int fetch(int n);
};
int Pager::fetch(int n) { return this->cache.lookup(n); }
}
"#,
        expect![[r#"
            [0] module src/mod L1-8 @0..173
                sig: src/mod.cpp
            [1] module db L1-8 @0..172
                sig: namespace db
                terms: db
            [2] class db::Pager in [1] db L2-6 @15..111
                sig: class Pager : public Base
                terms: Pager Base fetch n
                L2 inherit Base
                L2 type Base
            [3] method db::Pager::get in [2] db::Pager L4-4 @54..89 complexity 1
                sig: int get(int n)
                terms: get n fetch n
                L4 call fetch
            [4] method db::Pager::fetch in [2] db::Pager L7-7 @113..170 complexity 1
                sig: int Pager::fetch(int n)
                terms: Pager fetch n cache lookup n
                L7 call lookup on this->cache
                L7 read cache on this
        "#]],
    );
}

#[test]
fn csharp_namespaces_classes_properties_calls_and_usings() {
    check(
        Language::CSharp,
        r#"using System.Text;
using IO = System.IO.File;

namespace Serilog.Core
{
    /// <summary>Writes <see cref="LogEvent"/>s to a sink.</summary>
    public sealed class Logger : ILogger, IDisposable
    {
        readonly ILogEventSink _sink;

        public Logger(ILogEventSink sink) { _sink = sink; }

        public bool Enabled => _sink != null;

        public void Write(LogEvent e)
        {
            if (e == null || !Enabled) return;
            var sb = new StringBuilder("x");
            _sink?.Emit(e);
            this.Dispatch(e);
            Helpers.Format<LogEvent>(e);
            foreach (var l in Listeners()) { l(e); }
        }

        int Local() { int Inner() => 1; return Inner(); }
    }
}
"#,
        expect![[r#"
            [0] module src/Mod L1-27 @0..717
                sig: src/Mod.cs
                L1 import * from System.Text
                L2 import IO from System.IO (original "File")
            [1] module Serilog.Core L4-27 @47..716
                sig: namespace Serilog.Core
                terms: Serilog Core /// <summary>Writes <see cref="LogEvent"/>s to a sink.</summary>
            [2] class Logger in [1] Serilog.Core L7-26 @145..714
                sig: public sealed class Logger : ILogger, IDisposable
                doc: Writes LogEvents to a sink.
                terms: Logger ILogger IDisposable ILogEventSink _sink
                L7 inherit ILogger
                L7 inherit IDisposable
                L7 type ILogger
                L7 type IDisposable
                L9 type ILogEventSink
            [3] method Logger.Logger in [2] Logger L11-11 @248..299 complexity 1
                sig: public Logger(ILogEventSink sink)
                terms: Logger ILogEventSink sink _sink sink
                L11 type ILogEventSink
            [4] method Logger.Enabled in [2] Logger L13-13 @309..346 complexity 1
                sig: public bool Enabled
                terms: Enabled _sink
            [5] method Logger.Write in [2] Logger L15-23 @356..649 complexity 4
                sig: public void Write(LogEvent e)
                terms: Write LogEvent e e Enabled sb StringBuilder _sink Emit e Dispatch e Helpers Format LogEvent e l Listeners l e
                strings: "x"
                L15 type LogEvent
                L18 call StringBuilder
                L18 type StringBuilder
                L19 call Emit on _sink
                L20 call Dispatch on this
                L21 call Format on Helpers
                L22 call Listeners
            [6] method Logger.Local in [2] Logger L25-25 @659..708 complexity 1
                sig: int Local()
                terms: Local Inner
                L25 call Inner
            [7] function Logger.Inner in [6] Logger.Local L25-25 @673..690 complexity 1
                sig: int Inner()
                terms: Inner
        "#]],
    );
}

#[test]
fn csharp_file_scoped_namespace_records_and_interfaces() {
    check(
        Language::CSharp,
        r#"namespace Serilog.Events;

public interface ISink { void Emit(LogEvent e); }

public record LogEvent(string Text) : EventBase
{
    public static LogEvent operator +(LogEvent a, LogEvent b) => a;
    public string this[int i] { get { return Text; } }
}

public delegate void Handler(LogEvent e);
"#,
        expect![[r#"
            [0] module src/Mod L1-11 @0..296
                sig: src/Mod.cs
            [1] interface ISink L3-3 @27..76
                sig: public interface ISink
                terms: ISink
            [2] method ISink.Emit in [1] ISink L3-3 @52..74 complexity 1
                sig: void Emit(LogEvent e);
                terms: Emit LogEvent e
                L3 type LogEvent
            [3] class LogEvent L5-9 @78..252
                sig: public record LogEvent(string Text) : EventBase
                terms: LogEvent Text EventBase
                L5 inherit EventBase
                L5 type EventBase
            [4] method LogEvent.operator+ in [3] LogEvent L7-7 @132..195 complexity 1
                sig: public static LogEvent operator +(LogEvent a, LogEvent b)
                terms: LogEvent LogEvent a LogEvent b a
                L7 type LogEvent
            [5] method LogEvent.this in [3] LogEvent L8-8 @200..250 complexity 1
                sig: public string this[int i]
                terms: i Text
            [6] type Handler L11-11 @254..295
                sig: public delegate void Handler(LogEvent e);
                terms: Handler LogEvent e
                L11 type LogEvent
        "#]],
    );
}

#[test]
fn ruby_modules_classes_methods_constants_and_calls() {
    check(
        Language::Ruby,
        r#"require "rack/utils"

module Rack
  VERSION = "3.1"

  # Represents an HTTP request.
  class Request < Base
    include Helpers
    DEFAULT_PORTS = { "http" => 80 }

    def initialize(env)
      @env = env
      @params = nil
    end

    # The request's query parameters.
    def params
      @params ||= Utils.parse_query(query_string)
      if @params.empty? && post?
        fetch_body
      end
      Builder.new(@params).to_app
    end

    def self.build(env)
      new(env)
    end

    class << self
      def default_port(scheme) = DEFAULT_PORTS[scheme]
    end

    alias query params
  end
end

class Rack::Lint
  def call(env)
    [1, 2].each { |x| helper = x }
  end
end
"#,
        expect![[r#"
            [0] module lib/mod L1-41 @0..686
                sig: lib/mod.rb
                L1 call require
            [1] module Rack L3-35 @22..606
                sig: module Rack
                terms: Rack # Represents an HTTP request.
            [2] global Rack::VERSION in [1] Rack L4-4 @36..51
                sig: VERSION = "3.1"
                terms: VERSION
                strings: "3.1"
            [3] class Rack::Request in [1] Rack L7-34 @87..602
                sig: class Request < Base
                doc: Represents an HTTP request.
                terms: Request Base include Helpers # The request's query parameters.
                L7 inherit Base
                L8 implement Helpers
                L8 call include
            [4] global Rack::Request::DEFAULT_PORTS in [3] Rack::Request L9-9 @132..164
                sig: DEFAULT_PORTS = { "http" => 80 }
                terms: DEFAULT_PORTS
                strings: "http"
            [5] method Rack::Request::initialize in [3] Rack::Request L11-14 @170..234 complexity 1
                sig: def initialize(env)
                terms: initialize env @env env @params
                L12 write env on self
                L13 write params on self
            [6] method Rack::Request::params in [3] Rack::Request L17-23 @278..442 complexity 3
                sig: def params
                doc: The request's query parameters.
                terms: params @params Utils parse_query query_string @params empty? post? fetch_body Builder new @params to_app
                L18 write params on self
                L18 call parse_query on Utils
                L18 call query_string
                L19 call empty? on @params
                L19 read params on self
                L19 call post?
                L20 call fetch_body
                L22 call to_app on Builder.new(@params)
                L22 call Builder
                L22 call new on Builder
            [7] method Rack::Request::build in [3] Rack::Request L25-27 @448..490 complexity 1
                sig: def self.build(env)
                terms: build env new env
                L26 call new
            [8] method Rack::Request::default_port in [3] Rack::Request L30-30 @516..564 complexity 1
                sig: def default_port(scheme)
                terms: default_port scheme DEFAULT_PORTS scheme
                L30 read DEFAULT_PORTS
            [9] method Rack::Request::query in [3] Rack::Request L33-33 @578..596 complexity 1
                sig: alias query params
                terms: query params
            [10] class Rack::Lint L37-41 @608..685
                sig: class Rack::Lint
                terms: Rack Lint
            [11] method Rack::Lint::call in [10] Rack::Lint L38-40 @627..681 complexity 1
                sig: def call(env)
                terms: call env each x helper x
                L39 call each on [1,2]
        "#]],
    );
}
