//! Parser facts per language: symbols with qualified names and kinds, docs, calls, imports, inheritance,
//! field accesses and complexity, from small but realistic sources.

use leindex_engine::model::{FileFacts, Language, RefKind, SymbolKind};
use leindex_engine::parse::parse;

fn facts(lang: Language, path: &str, src: &str) -> FileFacts {
    parse(lang, path, src).expect("parses")
}

fn sym<'a>(f: &'a FileFacts, qualified: &str) -> &'a leindex_engine::model::SymbolFact {
    f.symbols
        .iter()
        .find(|s| s.qualified_name == qualified)
        .unwrap_or_else(|| {
            panic!(
                "no symbol {qualified}; have {:?}",
                f.symbols
                    .iter()
                    .map(|s| &s.qualified_name)
                    .collect::<Vec<_>>()
            )
        })
}

fn has_ref(f: &FileFacts, from: &str, kind: RefKind, name: &str, qualifier: Option<&str>) -> bool {
    let idx = f
        .symbols
        .iter()
        .position(|s| s.qualified_name == from)
        .expect("from symbol") as u32;
    f.refs.iter().any(|r| {
        r.from == idx && r.kind == kind && r.name == name && r.qualifier.as_deref() == qualifier
    })
}

#[test]
fn rust_impl_methods_docs_calls_imports_complexity() {
    let src = r#"//! Worker module.
use crate::runtime::{task::Notified, Handle as H};
use std::sync::Arc;

/// A worker core.
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

trait Schedule: Send { fn schedule(&self); }
impl Schedule for Core { fn schedule(&self) { helper(); } }
fn helper() {}
"#;
    let f = facts(Language::Rust, "src/runtime/worker.rs", src);
    assert_eq!(f.symbols[0].kind, SymbolKind::Module);
    assert_eq!(f.symbols[0].qualified_name, "runtime::worker");
    assert_eq!(f.symbols[0].doc, "Worker module.");
    let core = sym(&f, "Core");
    assert_eq!(core.kind, SymbolKind::Struct);
    assert_eq!(core.doc, "A worker core.");
    let steal = sym(&f, "Core::steal_work");
    assert_eq!(steal.kind, SymbolKind::Method);
    assert_eq!(steal.doc, "Steals work from siblings.");
    assert!(
        steal
            .signature
            .starts_with("fn steal_work(&mut self, worker: &Worker) -> Option<Notified>")
    );
    // if + && + for + ? = 4 decisions → complexity 5
    assert_eq!(steal.complexity, 5, "{steal:?}");
    let core_idx = f
        .symbols
        .iter()
        .position(|s| s.qualified_name == "Core")
        .unwrap() as u32;
    assert_eq!(
        steal.parent,
        Some(core_idx),
        "impl methods hang under their type"
    );
    assert!(has_ref(
        &f,
        "Core::steal_work",
        RefKind::Call,
        "next_task",
        Some("self")
    ));
    assert!(has_ref(
        &f,
        "Core::steal_work",
        RefKind::Call,
        "steal_into",
        Some("Steal")
    ));
    assert!(has_ref(
        &f,
        "Core::steal_work",
        RefKind::Call,
        "is_idle",
        Some("worker")
    ));
    assert!(has_ref(
        &f,
        "Core::steal_work",
        RefKind::Write,
        "count",
        Some("self")
    ));
    assert!(has_ref(
        &f,
        "Core::steal_work",
        RefKind::Type,
        "Worker",
        None
    ));
    assert!(has_ref(&f, "Core::schedule", RefKind::Call, "helper", None));
    assert!(f.refs.iter().any(|r| r.kind == RefKind::Implement
        && r.name == "Schedule"
        && r.qualifier.as_deref() == Some("Core")));
    assert_eq!(sym(&f, "Schedule").kind, SymbolKind::Trait);
    let imports: Vec<(&str, &str, &str)> = f
        .imports
        .iter()
        .map(|i| (i.module.as_str(), i.name.as_str(), i.original.as_str()))
        .collect();
    assert!(
        imports.contains(&("crate::runtime::task", "Notified", "Notified")),
        "{imports:?}"
    );
    assert!(
        imports.contains(&("crate::runtime", "H", "Handle")),
        "{imports:?}"
    );
    assert!(
        imports.contains(&("std::sync", "Arc", "Arc")),
        "{imports:?}"
    );
}

#[test]
fn python_classes_methods_docstrings_inheritance_fields() {
    let src = r#""""Query sets."""
from django.db.models.query_utils import Q
import logging as log

CHUNK = 100

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

def helper(x: QuerySet) -> int:
    return [y for y in x if y]
"#;
    let f = facts(Language::Python, "django/db/models/query.py", src);
    assert_eq!(f.symbols[0].qualified_name, "django.db.models.query");
    assert_eq!(f.symbols[0].doc, "Query sets.");
    let qs = sym(&f, "QuerySet");
    assert_eq!(qs.kind, SymbolKind::Class);
    assert_eq!(qs.doc, "Represent a lazy database lookup.");
    let filter = sym(&f, "QuerySet.filter");
    assert_eq!(filter.kind, SymbolKind::Method);
    assert_eq!(filter.complexity, 3, "if + or");
    assert!(has_ref(
        &f,
        "QuerySet.filter",
        RefKind::Call,
        "_filter_or_exclude",
        Some("self")
    ));
    assert!(has_ref(
        &f,
        "QuerySet.filter",
        RefKind::Write,
        "_hints",
        Some("self")
    ));
    assert!(has_ref(
        &f,
        "QuerySet._filter_or_exclude",
        RefKind::Read,
        "_hints",
        Some("self")
    ));
    assert!(has_ref(
        &f,
        "QuerySet._filter_or_exclude",
        RefKind::Read,
        "CHUNK",
        None
    ));
    assert!(has_ref(
        &f,
        "QuerySet",
        RefKind::Inherit,
        "BaseIterable",
        None
    ));
    assert!(has_ref(&f, "QuerySet", RefKind::Inherit, "Mixin", None));
    assert!(has_ref(&f, "helper", RefKind::Type, "QuerySet", None));
    assert_eq!(sym(&f, "CHUNK").kind, SymbolKind::Global);
    assert!(
        f.imports
            .iter()
            .any(|i| i.module == "django.db.models.query_utils" && i.name == "Q")
    );
    assert!(
        f.imports
            .iter()
            .any(|i| i.module == "logging" && i.name == "log")
    );
}

#[test]
fn typescript_classes_interfaces_arrow_functions_imports() {
    let src = r#"import { Observable } from '../Observable';
import { OperatorFunction as OF } from '../types';
import * as util from './util';

/** Applies a projection to each value. */
export function map<T, R>(project: (value: T) => R): OF<T, R> {
  return operate((source, subscriber) => {
    source.subscribe(createOperatorSubscriber(subscriber, (value) => project(value)));
  });
}

export interface Subscribable<T> extends Base { subscribe(o: Observer<T>): Unsubscribable; }

export class Subject<T> extends Observable<T> implements SubscriptionLike {
  closed = false;
  next(value: T) {
    if (!this.closed) { this.observers.forEach((o) => o.next(value)); }
  }
  complete = () => { this.closed = true; };
}

const pipeFromArray = (fns: Array<any>) => fns.reduce((prev, fn) => fn(prev), util.identity);
"#;
    let f = facts(Language::TypeScript, "src/internal/operators/map.ts", src);
    let map = sym(&f, "map");
    assert_eq!(map.kind, SymbolKind::Function);
    assert_eq!(map.doc, "Applies a projection to each value.");
    assert!(has_ref(&f, "map", RefKind::Call, "operate", None));
    assert!(has_ref(
        &f,
        "map",
        RefKind::Call,
        "createOperatorSubscriber",
        None
    ));
    assert_eq!(sym(&f, "Subscribable").kind, SymbolKind::Interface);
    assert!(has_ref(&f, "Subscribable", RefKind::Inherit, "Base", None));
    assert_eq!(sym(&f, "Subject").kind, SymbolKind::Class);
    assert!(has_ref(&f, "Subject", RefKind::Inherit, "Observable", None));
    assert!(has_ref(
        &f,
        "Subject",
        RefKind::Implement,
        "SubscriptionLike",
        None
    ));
    assert_eq!(sym(&f, "Subject.next").kind, SymbolKind::Method);
    assert!(has_ref(
        &f,
        "Subject.next",
        RefKind::Read,
        "closed",
        Some("this")
    ));
    assert_eq!(sym(&f, "Subject.complete").kind, SymbolKind::Method);
    assert!(has_ref(
        &f,
        "Subject.complete",
        RefKind::Write,
        "closed",
        Some("this")
    ));
    assert_eq!(sym(&f, "pipeFromArray").kind, SymbolKind::Function);
    assert!(
        f.imports
            .iter()
            .any(|i| i.module == "../types" && i.name == "OF" && i.original == "OperatorFunction")
    );
    assert!(
        f.imports
            .iter()
            .any(|i| i.module == "./util" && i.name == "util" && i.original == "*")
    );
}

#[test]
fn go_methods_receivers_embedding_imports() {
    let src = r#"package http

import (
	"fmt"
	ctx "context"
)

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
"#;
    let f = facts(Language::Go, "net/http/server.go", src);
    assert_eq!(sym(&f, "Server").kind, SymbolKind::Struct);
    assert_eq!(sym(&f, "Server").doc, "Server serves HTTP.");
    let m = sym(&f, "Server.ListenAndServe");
    assert_eq!(m.kind, SymbolKind::Method);
    assert_eq!(m.complexity, 2);
    assert!(has_ref(
        &f,
        "Server.ListenAndServe",
        RefKind::Call,
        "Serve",
        Some("srv")
    ));
    assert!(has_ref(
        &f,
        "Server.ListenAndServe",
        RefKind::Call,
        "Println",
        Some("fmt")
    ));
    assert!(has_ref(
        &f,
        "Server.ListenAndServe",
        RefKind::Write,
        "addr",
        Some("srv")
    ));
    assert!(has_ref(&f, "Server", RefKind::Inherit, "Handler", None));
    assert!(
        f.imports
            .iter()
            .any(|i| i.module == "context" && i.name == "ctx")
    );
    assert!(
        f.imports
            .iter()
            .any(|i| i.module == "fmt" && i.name == "fmt")
    );
}

#[test]
fn java_classes_methods_constructors_heritage() {
    let src = r#"package java.util;
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
"#;
    let f = facts(Language::Java, "java/util/ArrayList.java", src);
    assert_eq!(sym(&f, "ArrayList").doc, "A resizable array.");
    assert!(has_ref(
        &f,
        "ArrayList",
        RefKind::Inherit,
        "AbstractList",
        None
    ));
    assert!(has_ref(&f, "ArrayList", RefKind::Implement, "List", None));
    assert!(has_ref(
        &f,
        "ArrayList",
        RefKind::Implement,
        "RandomAccess",
        None
    ));
    let add = sym(&f, "ArrayList.add");
    assert_eq!(add.kind, SymbolKind::Method);
    assert_eq!(add.doc, "Appends an element.");
    assert_eq!(add.complexity, 2, "ternary");
    assert!(has_ref(
        &f,
        "ArrayList.add",
        RefKind::Call,
        "ensureCapacity",
        None
    ));
    assert!(has_ref(
        &f,
        "ArrayList.ensureCapacity",
        RefKind::Call,
        "requireNonNull",
        Some("Objects")
    ));
    assert!(has_ref(
        &f,
        "ArrayList.ensureCapacity",
        RefKind::Call,
        "Itr",
        None
    ));
    assert_eq!(sym(&f, "ArrayList.ArrayList").kind, SymbolKind::Method);
    assert!(
        f.imports
            .iter()
            .any(|i| i.module == "java.util.function" && i.name == "Consumer")
    );
}

#[test]
fn c_and_cpp_functions_structs_globals_out_of_line_methods() {
    let c = r#"#include <stdio.h>
#include "sqliteInt.h"

static int nCall = 0;

/* Open a database. */
int sqlite3_open(const char *zName, sqlite3 **ppDb) {
  nCall++;
  if (zName == 0 || ppDb == 0) return 1;
  return openDatabase(zName, ppDb);
}

struct Btree { int nRef; };
typedef struct Btree Btree;
"#;
    let f = facts(Language::C, "src/main.c", c);
    let open = sym(&f, "sqlite3_open");
    assert_eq!(open.kind, SymbolKind::Function);
    assert_eq!(open.doc, "Open a database.");
    assert_eq!(open.complexity, 3);
    assert!(has_ref(
        &f,
        "sqlite3_open",
        RefKind::Call,
        "openDatabase",
        None
    ));
    assert!(has_ref(&f, "sqlite3_open", RefKind::Write, "nCall", None));
    assert_eq!(sym(&f, "nCall").kind, SymbolKind::Global);
    assert_eq!(sym(&f, "Btree").kind, SymbolKind::Struct);
    assert!(f.imports.iter().any(|i| i.module == "sqliteInt.h"));

    let cpp = r#"namespace db {
class Pager : public Base {
 public:
  int get(int n) { return fetch(n); }
  int fetch(int n);
};
int Pager::fetch(int n) { return this->cache.lookup(n); }
}
"#;
    let f = facts(Language::Cpp, "src/pager.cpp", cpp);
    assert_eq!(sym(&f, "db::Pager").kind, SymbolKind::Class);
    assert!(has_ref(&f, "db::Pager", RefKind::Inherit, "Base", None));
    assert_eq!(sym(&f, "db::Pager::get").kind, SymbolKind::Method);
    assert!(has_ref(&f, "db::Pager::get", RefKind::Call, "fetch", None));
    assert_eq!(sym(&f, "db::Pager::fetch").kind, SymbolKind::Method);
}

#[test]
fn syntax_errors_are_counted_and_the_rest_is_indexed() {
    let src = "def good():\n    return 1\n\ndef broken(:\n    pass\n\nclass After:\n    def m(self): pass\n";
    let f = facts(Language::Python, "x.py", src);
    assert!(f.syntax_errors > 0);
    sym(&f, "good");
    sym(&f, "After.m");
}

#[test]
fn javascript_and_tsx_parse() {
    let js = "class A extends B { m() { return helper(this.x); } }\nfunction helper(v) { return v ?? 0; }\n";
    let f = facts(Language::JavaScript, "a.js", js);
    assert!(has_ref(&f, "A", RefKind::Inherit, "B", None));
    assert!(has_ref(&f, "A.m", RefKind::Call, "helper", None));
    assert_eq!(sym(&f, "helper").complexity, 2);
    let tsx = "export const App = (p: Props) => <div onClick={() => go(p)}>{p.x}</div>;\n";
    let f = facts(Language::Tsx, "app.tsx", tsx);
    assert!(has_ref(&f, "App", RefKind::Call, "go", None));
}
