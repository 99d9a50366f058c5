//! What `search`, `analyze` and the symbol queries (`find_symbol`, `symbol_info`, `impact`) answer on a small
//! project written inline — the way a user sees them, as `expect![[...]]` snapshots (refresh them with
//! `UPDATE_EXPECT=1` and read the diff).

use expect_test::{Expect, expect};
use leindex_engine::analyze::{self, AnalyzeRequest};
use leindex_engine::config::Config;
use leindex_engine::pipeline;
use leindex_engine::query::{self, Related, SymbolRef};
use leindex_engine::search;
use leindex_engine::{Snapshot, SymbolId};
use std::fmt::Write;

use crate::scratch::ScratchDir;

/// The project: a billing package in Python with its test, a page cache in Rust, a cart in TypeScript and a
/// retry helper in Go. Calls cross files (Python imports), stay inside a type (Rust `self.`) or go through a
/// callback (TypeScript); fields are written by one method and read by another; `total` and `add` each name
/// two symbols.
const FILES: &[(&str, &str)] = &[
    (
        "billing/tax.py",
        r#""""Tax rules for invoices."""

RATE = 0.2

def compute_tax(amount):
    """Tax owed on an amount, rounded to cents."""
    if amount <= 0:
        return 0
    return round(amount * RATE, 2)
"#,
    ),
    (
        "billing/invoice.py",
        r#"from billing.tax import compute_tax

class Invoice:
    """A customer invoice with line items."""

    def __init__(self, items):
        self.items = items

    def add(self, item):
        self.items.append(item)

    def total(self):
        """Sum of the items plus tax."""
        subtotal = sum(i.price for i in self.items)
        return subtotal + compute_tax(subtotal)

def send_invoice(invoice, mailer):
    mailer.send(invoice.total())
"#,
    ),
    (
        "tests/test_tax.py",
        r#"from billing.tax import compute_tax

def test_compute_tax_rounds_to_cents():
    assert compute_tax(10.01) == 2.0
"#,
    ),
    (
        "src/cache.rs",
        r#"//! An LRU cache of decoded pages.

/// A decoded page.
pub struct Page {
    pub id: u64,
}

/// Keeps at most `capacity` pages, evicting the least recently used.
pub struct PageCache {
    pages: Vec<Page>,
    capacity: usize,
}

impl PageCache {
    /// Inserts a page, evicting the least recently used one when full.
    pub fn insert(&mut self, page: Page) {
        if self.pages.len() >= self.capacity {
            self.evict_lru();
        }
        self.pages.push(page);
    }

    /// Removes and returns the least recently used page.
    pub fn evict_lru(&mut self) -> Option<Page> {
        if self.pages.is_empty() {
            return None;
        }
        Some(self.pages.remove(0))
    }
}
"#,
    ),
    (
        "web/cart.ts",
        r#"/** Price after a percentage discount. */
export function applyDiscount(price: number, percent: number): number {
  return price * (1 - percent / 100);
}

/** Sum of the prices. */
export function total(prices: number[]): number {
  return prices.reduce((a, b) => a + b, 0);
}

export class Cart {
  items: number[] = [];
  add(price: number) {
    this.items = [...this.items, price];
  }
  /** Total of the cart with the discount applied. */
  checkout(percent: number): number {
    return total(this.items.map((p) => applyDiscount(p, percent)));
  }
}
"#,
    ),
    (
        "net/retry.go",
        r#"package net

import "time"

// RetryWithBackoff calls op until it succeeds, doubling the wait each time.
func RetryWithBackoff(op func() error, attempts int) error {
	wait := time.Millisecond
	var err error
	for i := 0; i < attempts; i++ {
		if err = op(); err == nil {
			return nil
		}
		time.Sleep(wait)
		wait *= 2
	}
	return err
}

// Fetch gets a URL, retrying three times.
func Fetch(url string) error {
	return RetryWithBackoff(func() error { return nil }, 3)
}
"#,
    ),
];

/// The project of [`FILES`] indexed the way the CLI does it (`open_or_index`), with its snapshot open.
struct Project {
    _dir: ScratchDir,
    config: Config,
    snap: Snapshot,
}

impl Project {
    fn new() -> Project {
        Project::of(FILES)
    }

    /// The project of `files`, indexed.
    fn of(files: &[(&str, &str)]) -> Project {
        let dir = ScratchDir::new("answers");
        for (path, text) in files {
            let abs = dir.path().join(path);
            std::fs::create_dir_all(abs.parent().unwrap()).unwrap();
            std::fs::write(abs, text).unwrap();
        }
        let config = Config::load(dir.path()).unwrap();
        let (snap, report) = pipeline::open_or_index(&config).unwrap();
        let report = report.expect("a first run indexes");
        assert_eq!(
            (report.files, report.skipped.len()),
            (files.len(), 0),
            "{report:?}"
        );
        Project {
            _dir: dir,
            config,
            snap,
        }
    }

    /// `path qualified_name` of symbol `id`.
    fn at(&self, id: SymbolId) -> String {
        let s = SymbolRef::of(&self.snap, id);
        format!("{} {}", s.path, s.symbol)
    }
}

/// `path:Lstart-end kind qualified_name`: a symbol as every answer identifies it.
fn symbol_ref(s: &SymbolRef) -> String {
    format!(
        "{}:L{}-{} {} {}",
        s.path, s.line_start, s.line_end, s.kind, s.symbol
    )
}

/// Failures of an earlier ranking, as a project: a CommonJS module whose methods are assigned onto an
/// object, a function found only by the words of its body, and a common name (`default`) borne by many
/// methods that a question uses as a plain word.
const RANKING_FILES: &[(&str, &str)] = &[
    (
        "lib/response.js",
        r#"var res = Object.create(http.ServerResponse.prototype);

/** Send a response. */
res.send = function send(body) {
  var chunk = body;
  if (typeof chunk === 'string') this.set('Content-Type', 'text/html');
  this.end(chunk);
};

/** Send JSON. */
res.json = function json(obj) {
  var body = JSON.stringify(obj);
  this.set('Content-Type', 'application/json');
  return this.send(body);
};

defineGetter(res, 'sent', function () { return this.headersSent; });
module.exports = res;
"#,
    ),
    (
        "app/settings.py",
        r#"class Theme:
    def default(self):
        return "light"

class Locale:
    def default(self):
        return "en"

class Retries:
    def default(self):
        return 3

def load_arguments(path):
    values = {}
    with open(path) as fh:
        for line in fh:
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values
"#,
    ),
];

#[test]
fn search_finds_commonjs_methods_by_what_they_send() {
    check_search_in(
        RANKING_FILES,
        "how is an object sent back as a JSON response",
        None,
        expect![[r#"
            1. lib/response.js:L11-15 method res.json (exact name)
            2. lib/response.js:L17-17 method res.sent (exact name)
            3. lib/response.js:L1-1 global res
            4. lib/response.js:L1-18 module lib/response (exact name)
        "#]],
    );
}

#[test]
fn search_finds_a_function_by_the_words_of_its_body() {
    check_search_in(
        RANKING_FILES,
        "where are the key value lines of a file read and partitioned",
        None,
        expect![[r#"
            1. app/settings.py:L13-19 function load_arguments
        "#]],
    );
}

#[test]
fn search_does_not_let_a_common_plain_word_name_win() {
    check_search_in(
        RANKING_FILES,
        "load the default arguments from a configuration file",
        None,
        expect![[r#"
            1. app/settings.py:L13-19 function load_arguments
            2. app/settings.py:L10-11 method Retries.default (exact name)
            3. app/settings.py:L2-3 method Theme.default (exact name)
            4. app/settings.py:L6-7 method Locale.default (exact name)
        "#]],
    );
}

/// A class a question names, whose answer is one of its methods (`Pow.__new__`), beside a function that
/// shares a name with a word of the question's prose (`python` for "Python").
const NAMED_TYPE_FILES: &[(&str, &str)] = &[
    (
        "core/power.py",
        r#"class Pow:
    """A power base**exp."""

    def __new__(cls, base, exp):
        if base == 0 and exp < 0:
            return ComplexInfinity()
        return object.__new__(cls)

    def as_base_exp(self):
        return self.base, self.exp

    def _eval_is_negative(self):
        return self.base < 0 and self.exp % 2 == 1


class ComplexInfinity:
    """The result of dividing a nonzero number by zero."""
"#,
    ),
    (
        "printing/python.py",
        r#"def python(expr):
    """Print an expression as the code that builds it, with its symbols declared."""
    code = str(expr)
    return code
"#,
    ),
];

#[test]
fn search_ranks_methods_of_a_named_class_above_a_prose_word_name() {
    check_search_in(
        NAMED_TYPE_FILES,
        "With Python 3.8, Pow(0, -1) should give complex infinity for a zero base and a negative exponent",
        None,
        expect![[r#"
            1. core/power.py:L4-7 method Pow.__new__ (member of a named type)
            2. core/power.py:L12-13 method Pow._eval_is_negative (member of a named type)
            3. core/power.py:L16-17 class ComplexInfinity (exact name)
            4. core/power.py:L1-13 class Pow (exact name)
            5. printing/python.py:L1-4 function python (exact name)
        "#]],
    );
}

// ---- search ----

/// The top five hits for `query` (focused on `focus`), best first, marking exact-name matches.
fn check_search(query: &str, focus: Option<&str>, expected: Expect) {
    check_search_in(FILES, query, focus, expected);
}

/// [`check_search`] on the project of `files`.
fn check_search_in(files: &[(&str, &str)], query: &str, focus: Option<&str>, expected: Expect) {
    let p = Project::of(files);
    let mut out = String::new();
    for (i, h) in search::search(&p.snap, query, 5, focus).iter().enumerate() {
        let exact = match (h.signals.exact_name > 0.0, h.signals.container_name > 0.0) {
            (true, _) => " (exact name)",
            (false, true) => " (member of a named type)",
            (false, false) => "",
        };
        let s = SymbolRef::of(&p.snap, h.symbol);
        writeln!(out, "{}. {}{exact}", i + 1, symbol_ref(&s)).unwrap();
    }
    expected.assert_eq(&out);
}

#[test]
fn search_ranks_the_method_whose_doc_words_match_first() {
    check_search(
        "evict the least recently used page",
        None,
        expect![[r#"
            1. src/cache.rs:L24-29 method PageCache::evict_lru
            2. src/cache.rs:L16-21 method PageCache::insert
            3. src/cache.rs:L9-12 struct PageCache
            4. src/cache.rs:L4-6 struct Page (exact name)
            5. src/cache.rs:L1-30 module cache
        "#]],
    );
}

#[test]
fn search_joins_adjacent_words_into_snake_case_names() {
    check_search(
        "compute tax",
        None,
        expect![[r#"
            1. billing/tax.py:L5-9 function compute_tax (exact name)
            2. billing/invoice.py:L12-15 method Invoice.total
            3. tests/test_tax.py:L3-4 function test_compute_tax_rounds_to_cents
            4. billing/tax.py:L1-9 module billing.tax (exact name)
            5. billing/tax.py:L3-3 global RATE
        "#]],
    );
}

#[test]
fn search_joins_adjacent_words_into_camel_case_names() {
    check_search(
        "apply discount",
        None,
        expect![[r#"
        1. web/cart.ts:L2-4 function applyDiscount (exact name)
        2. web/cart.ts:L17-19 method Cart.checkout
        3. web/cart.ts:L11-20 class Cart
    "#]],
    );
}

#[test]
fn search_finds_longer_camel_case_names_by_their_words() {
    // Only pairs of words are joined: RetryWithBackoff wins on its words over the module named `retry`.
    check_search(
        "retry with backoff",
        None,
        expect![[r#"
            1. net/retry.go:L6-17 function RetryWithBackoff
            2. net/retry.go:L20-22 function Fetch
            3. net/retry.go:L1-22 module net/retry (exact name)
        "#]],
    );
}

#[test]
fn search_ranks_implementations_above_their_tests() {
    check_search(
        "compute_tax rounds to cents",
        None,
        expect![[r#"
            1. billing/tax.py:L5-9 function compute_tax (exact name)
            2. tests/test_tax.py:L3-4 function test_compute_tax_rounds_to_cents
            3. billing/invoice.py:L12-15 method Invoice.total
            4. billing/tax.py:L1-9 module billing.tax
            5. billing/tax.py:L3-3 global RATE
        "#]],
    );
}

#[test]
fn search_prefers_the_focus_path() {
    // The same query unfocused, then focused on the TypeScript side.
    check_search(
        "total",
        None,
        expect![[r#"
            1. web/cart.ts:L7-9 function total (exact name)
            2. billing/invoice.py:L12-15 method Invoice.total (exact name)
            3. web/cart.ts:L17-19 method Cart.checkout
            4. billing/invoice.py:L17-18 function send_invoice
            5. web/cart.ts:L11-20 class Cart
        "#]],
    );
    check_search(
        "total",
        Some("web/"),
        expect![[r#"
            1. web/cart.ts:L7-9 function total (exact name)
            2. web/cart.ts:L17-19 method Cart.checkout
            3. billing/invoice.py:L12-15 method Invoice.total (exact name)
            4. web/cart.ts:L11-20 class Cart
            5. billing/invoice.py:L17-18 function send_invoice
        "#]],
    );
}

#[test]
fn search_without_a_match_is_empty() {
    check_search("zebra giraffe", None, expect![[r#""#]]);
}

// ---- analyze ----

/// The answer to `query` within `budget` tokens: the entry points, then the rendered entries with whether
/// each came as its full source or as a one-line summary. Checks that the budget holds and that the
/// Markdown holds the source of every entry rendered in full.
fn check_analyze(query: &str, budget: usize, expected: Expect) {
    let p = Project::new();
    let req = AnalyzeRequest {
        query,
        budget_tokens: budget,
        focus_path: None,
    };
    let a = analyze::analyze(&p.snap, &p.config.root, &req);
    assert!(a.used_tokens <= budget, "{} > {budget}", a.used_tokens);
    assert_eq!(a.used_tokens, analyze::count_tokens(&a.markdown));
    let mut out = format!(
        "used {} of {} tokens\nentry points:\n",
        a.used_tokens, budget
    );
    for e in &a.entry_points {
        writeln!(
            out,
            "  {}. {}:L{}-{} {} {}",
            e.rank, e.path, e.line_start, e.line_end, e.kind, e.symbol
        )
        .unwrap();
    }
    out.push_str("rendered:\n");
    for e in &a.entries {
        let full = a.markdown.contains(&format!("### `{}`", e.symbol));
        if full {
            // The full form is the definition as written: its first source line is in the answer.
            let src = std::fs::read_to_string(p.config.root.join(&e.path)).unwrap();
            let first = src.lines().nth(e.line_start as usize - 1).unwrap();
            assert!(
                a.markdown.contains(first),
                "{first:?} not in\n{}",
                a.markdown
            );
        }
        let form = if full { "source " } else { "summary" };
        writeln!(
            out,
            "  {form} {} {}:L{}-{} {} {} — {}",
            e.role, e.path, e.line_start, e.line_end, e.kind, e.symbol, e.reason
        )
        .unwrap();
    }
    expected.assert_eq(&out);
}

#[test]
fn analyze_gives_the_defining_function_and_its_callers() {
    check_analyze(
        "how is tax computed on an invoice",
        4000,
        expect![[r#"
            used 735 of 4000 tokens
            entry points:
              1. billing/invoice.py:L12-15 method Invoice.total
              2. billing/tax.py:L5-9 function compute_tax
              3. billing/tax.py:L1-9 module billing.tax
              4. tests/test_tax.py:L3-4 function test_compute_tax_rounds_to_cents
              5. billing/invoice.py:L3-15 class Invoice
              6. billing/invoice.py:L17-18 function send_invoice
              7. billing/invoice.py:L6-7 method Invoice.__init__
              8. billing/invoice.py:L9-10 method Invoice.add
              9. billing/invoice.py:L1-18 module billing.invoice
              10. billing/tax.py:L3-3 global RATE
            rendered:
              summary entry billing/invoice.py:L1-18 module billing.invoice — matches the query (rank 9)
              source  entry billing/invoice.py:L3-15 class Invoice — matches the query (rank 5)
              source  entry billing/invoice.py:L6-7 method Invoice.__init__ — matches the query (rank 7)
              source  entry billing/invoice.py:L9-10 method Invoice.add — matches the query (rank 8)
              source  entry billing/invoice.py:L12-15 method Invoice.total — matches the query (rank 1)
              source  entry billing/invoice.py:L17-18 function send_invoice — matches the query (rank 6)
              summary entry billing/tax.py:L1-9 module billing.tax — matches the query (rank 3)
              source  entry billing/tax.py:L3-3 global RATE — type used by `compute_tax`
              source  entry billing/tax.py:L5-9 function compute_tax — matches the query (rank 2)
              source  entry tests/test_tax.py:L3-4 function test_compute_tax_rounds_to_cents — matches the query (rank 4)
        "#]],
    );
}

#[test]
fn analyze_follows_calls_through_callbacks() {
    check_analyze(
        "discount applied at checkout",
        4000,
        expect![[r#"
            used 406 of 4000 tokens
            entry points:
              1. web/cart.ts:L17-19 method Cart.checkout
              2. web/cart.ts:L2-4 function applyDiscount
              3. web/cart.ts:L11-20 class Cart
            rendered:
              source  entry web/cart.ts:L2-4 function applyDiscount — matches the query (rank 2)
              summary related web/cart.ts:L7-9 function total — called by `Cart.checkout`
              source  entry web/cart.ts:L11-20 class Cart — matches the query (rank 3)
              summary related web/cart.ts:L13-15 method Cart.add — writes `items` read by `Cart.checkout`
              source  entry web/cart.ts:L17-19 method Cart.checkout — matches the query (rank 1)
        "#]],
    );
}

#[test]
fn analyze_within_a_small_budget_keeps_the_best_entries() {
    check_analyze(
        "evict least recently used page",
        120,
        expect![[r#"
            used 114 of 120 tokens
            entry points:
              1. src/cache.rs:L24-29 method PageCache::evict_lru
              2. src/cache.rs:L16-21 method PageCache::insert
              3. src/cache.rs:L9-12 struct PageCache
              4. src/cache.rs:L4-6 struct Page
              5. src/cache.rs:L1-30 module cache
            rendered:
              summary entry src/cache.rs:L24-29 method PageCache::evict_lru — matches the query (rank 1)
        "#]],
    );
}

#[test]
fn analyze_markdown_as_the_user_reads_it() {
    let p = Project::new();
    let req = AnalyzeRequest {
        query: "retry with backoff",
        budget_tokens: 4000,
        focus_path: None,
    };
    let a = analyze::analyze(&p.snap, &p.config.root, &req);
    expect![[r#"
        # LeIndex deep analysis: retry with backoff

        generation 1 · budget 4000 tokens (o200k_base) · grouped by file, most relevant first

        ## net/retry.go
        - `net/retry` (module, L1–22) — callers 0 · callees 0 · centrality 0.67 · matches the query (rank 3)

        ### `RetryWithBackoff` (function, L6–17)
        complexity 3 · callers 1 · callees 0 · centrality 1.24 · matches the query (rank 1)
        ```go
        func RetryWithBackoff(op func() error, attempts int) error {
        	wait := time.Millisecond
        	var err error
        	for i := 0; i < attempts; i++ {
        		if err = op(); err == nil {
        			return nil
        		}
        		time.Sleep(wait)
        		wait *= 2
        	}
        	return err
        }
        ```

        ### `Fetch` (function, L20–22)
        complexity 1 · callers 0 · callees 1 · centrality 0.67 · matches the query (rank 2)
        ```go
        func Fetch(url string) error {
        	return RetryWithBackoff(func() error { return nil }, 3)
        }
        ```
    "#]].assert_eq(&a.markdown);
}

// ---- symbol queries ----

#[test]
fn find_symbol_by_simple_qualified_and_path_restricted_names() {
    let p = Project::new();
    let mut out = String::new();
    for (name, path) in [
        ("compute_tax", None),
        ("Invoice.total", None),
        ("PageCache::evict_lru", None),
        ("evict_lru", None),
        ("total", None),
        ("add", None),
        ("add", Some("web/")),
        ("Cart.add", None),
        ("checkout", None),
        ("compute_taxes", None),
    ] {
        let answer = match query::find_symbol(&p.snap, name, path) {
            Ok(id) => p.at(id),
            Err(e) => format!("error: {e}"),
        };
        writeln!(out, "{name} in {path:?} → {answer}").unwrap();
    }
    expect![[r#"
        compute_tax in None → billing/tax.py compute_tax
        Invoice.total in None → billing/invoice.py Invoice.total
        PageCache::evict_lru in None → src/cache.rs PageCache::evict_lru
        evict_lru in None → src/cache.rs PageCache::evict_lru
        total in None → web/cart.ts total
        add in None → error: `add` is ambiguous: 2 symbols match (Invoice.add (method, billing/invoice.py:9), Cart.add (method, web/cart.ts:13)); pass a qualified name or `path`
        add in Some("web/") → web/cart.ts Cart.add
        Cart.add in None → web/cart.ts Cart.add
        checkout in None → web/cart.ts Cart.checkout
        compute_taxes in None → error: no symbol named `compute_taxes`; closest matches: compute_tax (function, billing/tax.py:5), Invoice.total (method, billing/invoice.py:12), test_compute_tax_rounds_to_cents (function, tests/test_tax.py:3), billing.tax (module, billing/tax.py:1), RATE (global, billing/tax.py:3)
    "#]].assert_eq(&out);
}

/// What `symbol_info` says about `name`: definition, metrics and neighbours (resolved first, then by
/// centrality), without the source excerpt (checked to be the definition's lines).
fn check_symbol_info(name: &str, expected: Expect) {
    let p = Project::new();
    let id = query::find_symbol(&p.snap, name, None).unwrap();
    let info = query::symbol_info(&p.snap, &p.config.root, id);
    let src = std::fs::read_to_string(p.config.root.join(&info.at.path)).unwrap();
    let lines: Vec<&str> = src.lines().collect();
    let span = lines[info.at.line_start as usize - 1..info.at.line_end as usize].join("\n");
    assert_eq!(info.source.as_deref(), Some(span.as_str()));
    assert!(!info.source_truncated);
    let mut out = format!(
        "{}\ncontainer: {:?}\nsignature: {}\ndoc: {:?}\ncomplexity {} · loc {}\n",
        symbol_ref(&info.at),
        info.container,
        info.signature,
        info.doc,
        info.complexity,
        info.loc
    );
    for (label, total, list) in [
        ("callers", info.callers_total, &info.callers),
        ("callees", info.callees_total, &info.callees),
        (
            "referenced by",
            info.referenced_by_total,
            &info.referenced_by,
        ),
    ] {
        writeln!(out, "{label} ({total}):").unwrap();
        for r in list {
            writeln!(out, "  {}{}", symbol_ref(&r.at), ambiguous(r)).unwrap();
        }
    }
    for flow in &info.data_flows_to {
        writeln!(out, "data flows to: {flow}").unwrap();
    }
    expected.assert_eq(&out);
}

fn ambiguous(r: &Related) -> &'static str {
    if r.ambiguous { " (ambiguous)" } else { "" }
}

#[test]
fn symbol_info_lists_callers_across_files_and_tests() {
    check_symbol_info(
        "compute_tax",
        expect![[r#"
            billing/tax.py:L5-9 function compute_tax
            container: None
            signature: def compute_tax(amount)
            doc: "Tax owed on an amount, rounded to cents."
            complexity 2 · loc 5
            callers (2):
              billing/invoice.py:L12-15 method Invoice.total
              tests/test_tax.py:L3-4 function test_compute_tax_rounds_to_cents
            callees (0):
            referenced by (0):
        "#]],
    );
}

#[test]
fn symbol_info_of_a_method_lists_its_container_and_callees() {
    check_symbol_info(
        "PageCache::insert",
        expect![[r#"
            src/cache.rs:L16-21 method PageCache::insert
            container: Some("PageCache")
            signature: pub fn insert(&mut self, page: Page)
            doc: "Inserts a page, evicting the least recently used one when full."
            complexity 2 · loc 6
            callers (0):
            callees (1):
              src/cache.rs:L24-29 method PageCache::evict_lru
            referenced by (0):
        "#]],
    );
}

#[test]
fn symbol_info_of_a_writer_lists_its_data_flows() {
    check_symbol_info(
        "Invoice.__init__",
        expect![[r#"
            billing/invoice.py:L6-7 method Invoice.__init__
            container: Some("Invoice")
            signature: def __init__(self, items)
            doc: ""
            complexity 1 · loc 2
            callers (0):
            callees (0):
            referenced by (0):
            data flows to: items → Invoice.add
            data flows to: items → Invoice.total
        "#]],
    );
}

/// The rows of `impact` from `name` up to `depth` hops: each reached symbol with how it depends on the one
/// a hop closer, then the counts per depth, the files and the tests to re-run.
fn check_impact(name: &str, depth: u32, expected: Expect) {
    let p = Project::new();
    let id = query::find_symbol(&p.snap, name, None).unwrap();
    let impact = query::impact(&p.snap, id, depth, 50);
    assert_eq!(impact.total, impact.reached.len());
    let mut out = format!("{} (depth {})\n", symbol_ref(&impact.root), impact.depth);
    for r in &impact.reached {
        let uncertain = if r.uncertain { " (uncertain)" } else { "" };
        writeln!(
            out,
            "  {} {} via {} from {}{uncertain}",
            r.depth,
            symbol_ref(&r.at),
            r.via,
            r.from
        )
        .unwrap();
    }
    writeln!(
        out,
        "by depth {:?}\nfiles {:?}\ntests {:?}",
        impact.by_depth, impact.files, impact.tests
    )
    .unwrap();
    expected.assert_eq(&out);
}

#[test]
fn impact_of_a_function_reaches_callers_of_callers_and_tests() {
    check_impact(
        "compute_tax",
        3,
        expect![[r#"
            billing/tax.py:L5-9 function compute_tax (depth 3)
              1 billing/invoice.py:L12-15 method Invoice.total via calls from compute_tax
              1 tests/test_tax.py:L3-4 function test_compute_tax_rounds_to_cents via calls from compute_tax
              2 billing/invoice.py:L17-18 function send_invoice via calls from Invoice.total (uncertain)
            by depth [2, 1, 0]
            files ["billing/invoice.py", "tests/test_tax.py"]
            tests ["test_compute_tax_rounds_to_cents"]
        "#]],
    );
}

#[test]
fn impact_follows_field_writes_to_their_readers() {
    check_impact(
        "Invoice.__init__",
        2,
        expect![[r#"
            billing/invoice.py:L6-7 method Invoice.__init__ (depth 2)
              1 billing/invoice.py:L9-10 method Invoice.add via reads items from Invoice.__init__
              1 billing/invoice.py:L12-15 method Invoice.total via reads items from Invoice.__init__
              2 billing/invoice.py:L17-18 function send_invoice via calls from Invoice.total (uncertain)
            by depth [2, 1]
            files ["billing/invoice.py"]
            tests []
        "#]],
    );
}

#[test]
fn impact_stops_at_the_depth_limit() {
    check_impact(
        "compute_tax",
        1,
        expect![[r#"
            billing/tax.py:L5-9 function compute_tax (depth 1)
              1 billing/invoice.py:L12-15 method Invoice.total via calls from compute_tax
              1 tests/test_tax.py:L3-4 function test_compute_tax_rounds_to_cents via calls from compute_tax
            by depth [2]
            files ["billing/invoice.py", "tests/test_tax.py"]
            tests ["test_compute_tax_rounds_to_cents"]
        "#]],
    );
}

#[test]
fn impact_follows_calls_made_inside_callbacks() {
    check_impact(
        "applyDiscount",
        2,
        expect![[r#"
        web/cart.ts:L2-4 function applyDiscount (depth 2)
          1 web/cart.ts:L17-19 method Cart.checkout via calls from applyDiscount
        by depth [1, 0]
        files ["web/cart.ts"]
        tests []
    "#]],
    );
}

#[test]
fn impact_of_a_typescript_field_write() {
    check_impact(
        "Cart.add",
        2,
        expect![[r#"
        web/cart.ts:L13-15 method Cart.add (depth 2)
          1 web/cart.ts:L17-19 method Cart.checkout via reads items from Cart.add
        by depth [1, 0]
        files ["web/cart.ts"]
        tests []
    "#]],
    );
}

#[test]
fn a_snapshot_of_another_analysis_version_is_rebuilt_not_answered_from() {
    // An upgraded engine must not answer from the analysis of the one before it: the snapshot's header
    // records the analysis version (bytes 48..56; 0 in files written before the field existed).
    let p = Project::new();
    assert!(p.snap.is_current_analysis());
    let (path, generation) = (p.snap.path().to_path_buf(), p.snap.generation());
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[48..56].copy_from_slice(&0u64.to_le_bytes());
    // The header CRC (bytes 44..48) covers the header with the CRC zeroed and the section table.
    let sections = u32::from_le_bytes(bytes[12..16].try_into().unwrap()) as usize;
    bytes[44..48].copy_from_slice(&[0; 4]);
    let crc = crc32fast::hash(&bytes[..64 + sections * 32]);
    bytes[44..48].copy_from_slice(&crc.to_le_bytes());
    std::fs::write(&path, bytes).unwrap();
    let stale = Snapshot::open_current(&p.config.index_dir).expect("still a valid snapshot");
    assert!(!stale.is_current_analysis());

    let (snap, report) = pipeline::open_or_index(&p.config).unwrap();
    assert!(report.is_some(), "a stale snapshot is re-indexed");
    assert!(snap.is_current_analysis());
    assert!(snap.generation() > generation, "published anew");
}
