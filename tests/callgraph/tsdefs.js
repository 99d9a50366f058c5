// Lists named functions (declarations, `const f = function/arrow`, `a.b = function(){}`), classes,
// class methods and constructors of the given TypeScript files, as JSON in the shape of query.py's
// Python lister (derived from jsdefs.js; parses with ScriptKind.TS).
// Overloads: only the implementation (the declaration with a body) is listed, as tsserver's call
// hierarchy resolves calls to it; a body-less declaration (abstract method, `declare function`) is
// listed only when its file has no implementation of that qualified name.
// usage: node tsdefs.js ROOT FILE...
const ts = require("typescript");
const fs = require("fs");
const path = require("path");
const root = process.argv[2];
const out = [];
for (const f of process.argv.slice(3)) {
  const text = fs.readFileSync(path.join(root, f), "utf8");
  const kind = f.endsWith(".tsx") ? ts.ScriptKind.TSX : ts.ScriptKind.TS;
  const sf = ts.createSourceFile(f, text, ts.ScriptTarget.Latest, true, kind);
  const pos = (n) => sf.getLineAndCharacterOfPosition(n.getStart(sf));
  const mine = [];
  const add = (qual, kind, nameNode, node, hasBody) => {
    const p = pos(nameNode);
    mine.push({file: f, qualname: qual, kind, def_line: p.line + 1, start_line: pos(node).line + 1,
               end_line: sf.getLineAndCharacterOfPosition(node.getEnd()).line + 1, col: p.character,
               decorators: (ts.canHaveDecorators(node) && ts.getDecorators(node) || []).map((d) => d.getText(sf)),
               _body: hasBody});
  };
  const visit = (n, prefix) => {
    let next = prefix;
    if (ts.isFunctionDeclaration(n) && n.name) {
      add(prefix + n.name.text, "function", n.name, n, !!n.body); next = prefix + n.name.text + ".";
    } else if (ts.isClassDeclaration(n) && n.name) {
      add(prefix + n.name.text, "class", n.name, n, true); next = prefix + n.name.text + ".";
    } else if (ts.isConstructorDeclaration(n)) {
      const kw = n.getChildren(sf).find((c) => c.kind === ts.SyntaxKind.ConstructorKeyword) || n;
      add(prefix + "constructor", "function", kw, n, !!n.body); next = prefix + "constructor.";
    } else if (ts.isMethodDeclaration(n) && n.name) {
      add(prefix + n.name.getText(sf), "function", n.name, n, !!n.body); next = prefix + n.name.getText(sf) + ".";
    } else if (ts.isBinaryExpression(n) && n.operatorToken.kind === ts.SyntaxKind.EqualsToken &&
               (ts.isFunctionExpression(n.right) || ts.isArrowFunction(n.right)) &&
               ts.isPropertyAccessExpression(n.left)) {
      const stmt = n.parent && ts.isExpressionStatement(n.parent) ? n.parent : n;
      add(prefix + n.left.getText(sf), "function", n.right.name || n.left.name, stmt, true);
      n.right.forEachChild((c) => visit(c, prefix + n.left.getText(sf) + "."));
      return;
    } else if (ts.isVariableDeclaration(n) && n.initializer && ts.isIdentifier(n.name) &&
               (ts.isFunctionExpression(n.initializer) || ts.isArrowFunction(n.initializer))) {
      add(prefix + n.name.text, "function", n.name, n.parent.parent, true);
      n.initializer.forEachChild((c) => visit(c, prefix + n.name.text + "."));
      return;
    }
    n.forEachChild((c) => visit(c, next));
  };
  visit(sf, "");
  const impl = new Set(mine.filter((d) => d._body).map((d) => d.qualname));
  // overload signatures: their name lines are recorded on the implementation (tsserver's outgoing calls
  // name the overload signature that matched, not the implementation)
  const implOf = new Map(mine.filter((d) => d._body).map((d) => [d.qualname, d]));
  for (const d of mine) {
    if (!d._body && implOf.has(d.qualname)) {
      const i = implOf.get(d.qualname);
      (i.overload_lines = i.overload_lines || []).push(d.def_line);
    }
  }
  for (const d of mine) {
    if (d._body || !impl.has(d.qualname)) { delete d._body; out.push(d); }
  }
}
console.log(JSON.stringify(out));
