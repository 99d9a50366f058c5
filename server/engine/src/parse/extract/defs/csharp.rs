//! C# definitions: types (classes, records, structs, interfaces, enums, delegates), members (methods,
//! constructors, properties, indexers, operators), local functions and block-scoped namespaces.

use super::super::text::last_scope_segment;
use super::Def;
use crate::model::SymbolKind as K;
use crate::parse::extract::Extractor;
use crate::parse::extract::kinds::Field as _;
use crate::parse::extract::kinds::kind_of;
use tree_sitter::Node;

impl<'s> Extractor<'s> {
    /// Definitions of the C# grammar. Members are recorded as functions and become methods inside a type
    /// (the walker's rule), so a local function stays a function. Fields and enum members are not symbols,
    /// as in Java.
    pub(super) fn csharp_definition<'t>(&self, node: Node<'t>) -> Option<Def<'t>> {
        match kind_of(node) {
            "class_declaration" | "record_declaration" => self.named(node, K::Class, true),
            "struct_declaration" => self.named(node, K::Struct, true),
            "interface_declaration" => self.named(node, K::Interface, true),
            "enum_declaration" => self.named(node, K::Enum, true),
            "delegate_declaration" => self.named(node, K::Type, false),
            "method_declaration" | "constructor_declaration" | "local_function_statement" => {
                self.named(node, K::Function, false)
            }
            "destructor_declaration" => {
                let name = self.field_text(node, "name")?;
                Some(self.csharp_member(node, format!("~{name}"), "body"))
            }
            // A property's accessors (`{ get { .. } set { .. } }`) or expression body (`=> ..`) is its body.
            "property_declaration" => {
                let name = self.field_text(node, "name")?;
                let body = if node.field("accessors").is_some() {
                    "accessors"
                } else {
                    "value"
                };
                Some(self.csharp_member(node, name, body))
            }
            "indexer_declaration" => Some(self.csharp_member(node, "this".into(), "accessors")),
            "operator_declaration" => {
                let op = self.field_text(node, "operator")?;
                Some(self.csharp_member(node, format!("operator{op}"), "body"))
            }
            "conversion_operator_declaration" => {
                let to = self.field_text(node, "type")?;
                Some(self.csharp_member(node, format!("operator {to}"), "body"))
            }
            // `namespace A.B { .. }` (a file-scoped `namespace A.B;` has no body and is not a symbol).
            "namespace_declaration" => {
                let full = self.field_text(node, "name")?;
                let name = last_scope_segment(&full);
                let scope = full
                    .strip_suffix(name.as_str())
                    .map(|s| s.trim_end_matches('.').to_string())
                    .filter(|s| !s.is_empty());
                let mut def = Def::at(node, K::Module, Some(name), false)?;
                def.scope = scope;
                Some(def)
            }
            _ => None,
        }
    }

    /// A member named `name` whose body is `node`'s `body_field` child (`body`, `accessors`, `value`).
    fn csharp_member<'t>(&self, node: Node<'t>, name: String, body_field: &str) -> Def<'t> {
        Def {
            kind: K::Function,
            name,
            scope: None,
            body: node.field(body_field).or_else(|| node.field("value")),
            is_type: false,
        }
    }
}
