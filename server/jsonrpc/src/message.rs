//! One message body in, one decision out: [`check`] returns the [`Message`] to forward or the
//! [`Rejection`] whose [`response`](Rejection::response) the front door sends back instead.

use crate::surrogates::repair_lone_surrogates;
use serde_json::{Map, Value, json};

/// JSON-RPC's Parse error: the body is not JSON (or not UTF-8, or nested too deeply).
pub const PARSE_ERROR: i64 = -32700;
/// JSON-RPC's Invalid Request: JSON, but not a request, notification or response object.
pub const INVALID_REQUEST: i64 = -32600;

/// A UTF-8 byte order mark, which RFC 8259 (section 8.1) lets a parser ignore.
const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// What a well-formed message is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A `method` and an `id`: the peer waits for a response with that `id`.
    Request,
    /// A `method` without an `id`: never answered.
    Notification,
    /// `result` or `error` with an `id` and no `method`: the answer to a request of the other side.
    Response,
}

/// A message that passed [`check`]: a JSON-RPC 2.0 object of a known [`Kind`].
#[derive(Clone, Debug, PartialEq)]
pub struct Message {
    object: Map<String, Value>,
    kind: Kind,
    repaired: usize,
}

impl Message {
    /// Request, notification or response.
    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// The `method` of a request or notification.
    pub fn method(&self) -> Option<&str> {
        self.object.get("method").and_then(Value::as_str)
    }

    /// The `id` (a string, an integer or `null`), absent for a notification.
    pub fn id(&self) -> Option<&Value> {
        self.object.get("id")
    }

    /// How many lone surrogate escapes were rewritten to `\ufffd` (see [`repair_lone_surrogates`]).
    pub fn repaired_surrogates(&self) -> usize {
        self.repaired
    }

    /// The whole message object.
    pub fn object(&self) -> &Map<String, Value> {
        &self.object
    }

    /// The message re-serialized as compact JSON: what a front door forwards. Valid UTF-8, no lone
    /// surrogate, within serde_json's nesting depth, so the library behind the front door parses it.
    pub fn to_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(&self.object).expect("a JSON object with string keys always serializes")
    }
}

/// Why a body is not a message to forward. [`code`](Invalid::code) says which JSON-RPC error it is.
#[derive(Debug, thiserror::Error)]
pub enum Invalid {
    /// The bytes are not UTF-8 (JSON text must be).
    #[error("the body is not UTF-8 ({0})")]
    Utf8(#[from] std::str::Utf8Error),
    /// Nothing but whitespace.
    #[error("the body is empty")]
    Empty,
    /// Not JSON, including JSON nested deeper than serde_json's recursion limit (128).
    #[error("the body is not JSON ({0})")]
    Json(#[from] serde_json::Error),
    /// An array: a JSON-RPC batch (or `[]`). LeIndex's servers take one message at a time.
    #[error(
        "a batch (a JSON array of {0} elements): batches are not supported, send one message at a time"
    )]
    Batch(usize),
    /// JSON that is neither an object nor an array (`null`, a number, a string, a boolean).
    #[error("the body is a JSON {0}, not an object")]
    NotObject(&'static str),
    /// `jsonrpc` is missing or not the string `"2.0"`.
    #[error("`jsonrpc` must be \"2.0\"")]
    Version,
    /// `method` is there but not a string.
    #[error("`method` must be a string")]
    Method,
    /// `id` is there but not a string, an integer that fits in 64 bits, or `null`.
    #[error("`id` must be a string, an integer or null")]
    Id,
    /// A `method` together with `result` or `error`.
    #[error("a message with a `method` must not have `result` or `error`")]
    MethodWithResult,
    /// Both `result` and `error`.
    #[error("a response must not have both `result` and `error`")]
    ResultAndError,
    /// `result` or `error` without `id`.
    #[error("a response must have an `id`")]
    ResponseWithoutId,
    /// `error` is not an object with an integer `code` and a string `message`.
    #[error("`error` must be an object with an integer `code` and a string `message`")]
    ErrorObject,
    /// None of `method`, `result`, `error`.
    #[error("neither a request (`method`) nor a response (`result` or `error`)")]
    Shape,
}

impl Invalid {
    /// [`PARSE_ERROR`] when the body is not JSON at all, [`INVALID_REQUEST`] when it is JSON of the wrong shape.
    pub fn code(&self) -> i64 {
        match self {
            Self::Utf8(_) | Self::Empty | Self::Json(_) => PARSE_ERROR,
            _ => INVALID_REQUEST,
        }
    }
}

/// A body that is not forwarded, with the `id` to answer it with.
#[derive(Debug, thiserror::Error)]
#[error("{reason}")]
pub struct Rejection {
    /// What is wrong.
    pub reason: Invalid,
    /// The id of the error response: the request's own `id` when the body is an object with a `method` and
    /// a string or number `id` (even one the server would not take, such as `1.5`), else `null`.
    pub id: Value,
}

impl Rejection {
    /// The JSON-RPC error code: [`PARSE_ERROR`] or [`INVALID_REQUEST`].
    pub fn code(&self) -> i64 {
        self.reason.code()
    }

    /// The error response to send back: `{"jsonrpc":"2.0","id":..,"error":{"code":..,"message":..}}`, the
    /// message being `Parse error: <reason>` or `Invalid Request: <reason>`.
    pub fn response(&self) -> Value {
        let title = if self.code() == PARSE_ERROR {
            "Parse error"
        } else {
            "Invalid Request"
        };
        error_response(
            self.id.clone(),
            self.code(),
            &format!("{title}: {}", self.reason),
        )
    }
}

/// A JSON-RPC 2.0 error response object.
pub fn error_response(id: Value, code: i64, message: &str) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "error": {"code": code, "message": message}})
}

/// Classifies one message body (the bytes of a `Content-Length` frame, or one line without its newline):
/// strips a leading UTF-8 byte order mark, checks UTF-8, repairs lone surrogate escapes, parses (serde_json's
/// recursion limit of 128 turns deeper nesting into a parse error, before any stack is at risk) and checks
/// the JSON-RPC 2.0 shape. See the crate documentation for the table of answers.
pub fn check(body: &[u8]) -> Result<Message, Rejection> {
    let parse_error = |reason| Rejection {
        reason,
        id: Value::Null,
    };
    let body = body.strip_prefix(UTF8_BOM).unwrap_or(body);
    let text = std::str::from_utf8(body).map_err(|e| parse_error(Invalid::Utf8(e)))?;
    if text.trim_ascii().is_empty() {
        return Err(parse_error(Invalid::Empty));
    }
    let (text, repaired) = repair_lone_surrogates(text);
    let value: Value = serde_json::from_str(&text).map_err(|e| parse_error(Invalid::Json(e)))?;
    let object = match value {
        Value::Object(object) => object,
        Value::Array(items) => return Err(parse_error(Invalid::Batch(items.len()))),
        other => return Err(parse_error(Invalid::NotObject(json_type(&other)))),
    };
    let kind = classify(&object).map_err(|reason| Rejection {
        reason,
        id: reply_id(&object),
    })?;
    Ok(Message {
        object,
        kind,
        repaired,
    })
}

/// The shape rules of JSON-RPC 2.0, section 4 and 5, with the id types both libraries accept.
fn classify(object: &Map<String, Value>) -> Result<Kind, Invalid> {
    if object.get("jsonrpc").and_then(Value::as_str) != Some("2.0") {
        return Err(Invalid::Version);
    }
    let has_result = object.contains_key("result");
    let error = object.get("error");
    let kind = match object.get("method") {
        Some(Value::String(_)) if has_result || error.is_some() => {
            return Err(Invalid::MethodWithResult);
        }
        Some(Value::String(_)) if object.contains_key("id") => Kind::Request,
        Some(Value::String(_)) => Kind::Notification,
        Some(_) => return Err(Invalid::Method),
        None => {
            match (has_result, error) {
                (true, Some(_)) => return Err(Invalid::ResultAndError),
                (false, None) => return Err(Invalid::Shape),
                (false, Some(error)) if !is_error_object(error) => {
                    return Err(Invalid::ErrorObject);
                }
                _ => {}
            }
            if !object.contains_key("id") {
                return Err(Invalid::ResponseWithoutId);
            }
            Kind::Response
        }
    };
    match object.get("id") {
        None | Some(Value::String(_) | Value::Null) => Ok(kind),
        Some(Value::Number(n)) if n.as_i64().is_some() => Ok(kind),
        Some(_) => Err(Invalid::Id),
    }
}

fn is_error_object(error: &Value) -> bool {
    error.get("code").is_some_and(|c| c.as_i64().is_some())
        && error.get("message").is_some_and(Value::is_string)
}

/// The id to answer a rejected object with: its own, when it is a request a client can match the answer to.
fn reply_id(object: &Map<String, Value>) -> Value {
    match (object.get("method"), object.get("id")) {
        (Some(_), Some(id @ (Value::String(_) | Value::Number(_)))) => id.clone(),
        _ => Value::Null,
    }
}

fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What [`check`] should say: forward (with the kind and the repairs) or reject (code, id).
    #[derive(Debug, PartialEq)]
    enum Expect {
        Forward(Kind, usize),
        Reject(i64, Value),
    }
    use Expect::{Forward, Reject};

    fn outcome(body: &[u8]) -> Expect {
        match check(body) {
            Ok(m) => Forward(m.kind(), m.repaired_surrogates()),
            Err(r) => Reject(r.code(), r.id),
        }
    }

    #[test]
    fn classification_table() {
        let null = Value::Null;
        let cases: Vec<(&str, Vec<u8>, Expect)> = vec![
            // Well-formed messages.
            (
                "request",
                br#"{"jsonrpc":"2.0","id":1,"method":"m"}"#.to_vec(),
                Forward(Kind::Request, 0),
            ),
            (
                "string id",
                br#"{"jsonrpc":"2.0","id":"a","method":"m","params":[]}"#.to_vec(),
                Forward(Kind::Request, 0),
            ),
            (
                "null id",
                br#"{"jsonrpc":"2.0","id":null,"method":"m"}"#.to_vec(),
                Forward(Kind::Request, 0),
            ),
            (
                "negative id",
                br#"{"jsonrpc":"2.0","id":-3,"method":"m"}"#.to_vec(),
                Forward(Kind::Request, 0),
            ),
            (
                "null params",
                br#"{"jsonrpc":"2.0","id":1,"method":"shutdown","params":null}"#.to_vec(),
                Forward(Kind::Request, 0),
            ),
            (
                "notification",
                br#"{"jsonrpc":"2.0","method":"initialized","params":{}}"#.to_vec(),
                Forward(Kind::Notification, 0),
            ),
            (
                "response",
                br#"{"jsonrpc":"2.0","id":1,"result":null}"#.to_vec(),
                Forward(Kind::Response, 0),
            ),
            (
                "error response",
                br#"{"jsonrpc":"2.0","id":null,"error":{"code":-1,"message":"x","data":[]}}"#
                    .to_vec(),
                Forward(Kind::Response, 0),
            ),
            (
                "whitespace around",
                b" \r\n{\"jsonrpc\":\"2.0\",\"method\":\"m\"}\n ".to_vec(),
                Forward(Kind::Notification, 0),
            ),
            (
                "byte order mark",
                b"\xEF\xBB\xBF{\"jsonrpc\":\"2.0\",\"method\":\"m\"}".to_vec(),
                Forward(Kind::Notification, 0),
            ),
            (
                "lone low surrogate",
                br#"{"jsonrpc":"2.0","id":1,"method":"m","params":{"q":"\udc00"}}"#.to_vec(),
                Forward(Kind::Request, 1),
            ),
            (
                "lone high surrogate",
                br#"{"jsonrpc":"2.0","id":1,"method":"m","params":{"q":"\ud800x\ud800"}}"#.to_vec(),
                Forward(Kind::Request, 2),
            ),
            (
                "surrogate pair",
                br#"{"jsonrpc":"2.0","id":1,"method":"m","params":{"q":"\ud83d\ude00"}}"#.to_vec(),
                Forward(Kind::Request, 0),
            ),
            // Not JSON: -32700, id null.
            ("empty", b"".to_vec(), Reject(PARSE_ERROR, null.clone())),
            (
                "blank",
                b" \r\n\t".to_vec(),
                Reject(PARSE_ERROR, null.clone()),
            ),
            ("unclosed", b"{".to_vec(), Reject(PARSE_ERROR, null.clone())),
            (
                "garbage",
                b"this is not json".to_vec(),
                Reject(PARSE_ERROR, null.clone()),
            ),
            (
                "trailing garbage",
                br#"{"jsonrpc":"2.0","method":"m"}x"#.to_vec(),
                Reject(PARSE_ERROR, null.clone()),
            ),
            (
                "invalid UTF-8",
                b"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"m\",\"params\":\"\xff\xfe\"}".to_vec(),
                Reject(PARSE_ERROR, null.clone()),
            ),
            (
                "cut request",
                br#"{"jsonrpc":"2.0","id":1,"meth"#.to_vec(),
                Reject(PARSE_ERROR, null.clone()),
            ),
            (
                "20k open brackets",
                vec![b'['; 20_000],
                Reject(PARSE_ERROR, null.clone()),
            ),
            (
                "20k nested arrays",
                [vec![b'['; 20_000], vec![b']'; 20_000]].concat(),
                Reject(PARSE_ERROR, null.clone()),
            ),
            (
                "20k nested objects",
                [b"{\"a\":".repeat(20_000), vec![b'}'; 20_000]].concat(),
                Reject(PARSE_ERROR, null.clone()),
            ),
            (
                "deep params",
                [
                    br#"{"jsonrpc":"2.0","id":9,"method":"m","params":"#.to_vec(),
                    vec![b'['; 200],
                    vec![b']'; 200],
                    b"}".to_vec(),
                ]
                .concat(),
                Reject(PARSE_ERROR, null.clone()),
            ),
            // JSON of the wrong shape: -32600.
            (
                "null",
                b"null".to_vec(),
                Reject(INVALID_REQUEST, null.clone()),
            ),
            (
                "number",
                b"42".to_vec(),
                Reject(INVALID_REQUEST, null.clone()),
            ),
            (
                "string",
                br#""x""#.to_vec(),
                Reject(INVALID_REQUEST, null.clone()),
            ),
            (
                "empty batch",
                b"[]".to_vec(),
                Reject(INVALID_REQUEST, null.clone()),
            ),
            (
                "batch",
                br#"[{"jsonrpc":"2.0","id":1,"method":"m"},{"jsonrpc":"2.0","id":2,"method":"m"}]"#
                    .to_vec(),
                Reject(INVALID_REQUEST, null.clone()),
            ),
            (
                "empty object",
                b"{}".to_vec(),
                Reject(INVALID_REQUEST, null.clone()),
            ),
            (
                "no version",
                br#"{"id":7,"method":"m"}"#.to_vec(),
                Reject(INVALID_REQUEST, json!(7)),
            ),
            (
                "version 1.0",
                br#"{"jsonrpc":"1.0","id":"s","method":"m"}"#.to_vec(),
                Reject(INVALID_REQUEST, json!("s")),
            ),
            (
                "numeric version",
                br#"{"jsonrpc":2.0,"id":7,"method":"m"}"#.to_vec(),
                Reject(INVALID_REQUEST, json!(7)),
            ),
            (
                "method not a string",
                br#"{"jsonrpc":"2.0","id":7,"method":5}"#.to_vec(),
                Reject(INVALID_REQUEST, json!(7)),
            ),
            (
                "fractional id",
                br#"{"jsonrpc":"2.0","id":1.5,"method":"m"}"#.to_vec(),
                Reject(INVALID_REQUEST, json!(1.5)),
            ),
            (
                "id beyond i64",
                br#"{"jsonrpc":"2.0","id":18446744073709551615,"method":"m"}"#.to_vec(),
                Reject(INVALID_REQUEST, json!(u64::MAX)),
            ),
            (
                "object id",
                br#"{"jsonrpc":"2.0","id":{},"method":"m"}"#.to_vec(),
                Reject(INVALID_REQUEST, null.clone()),
            ),
            (
                "boolean id",
                br#"{"jsonrpc":"2.0","id":true,"method":"m"}"#.to_vec(),
                Reject(INVALID_REQUEST, null.clone()),
            ),
            (
                "method and result",
                br#"{"jsonrpc":"2.0","id":7,"method":"m","result":1}"#.to_vec(),
                Reject(INVALID_REQUEST, json!(7)),
            ),
            (
                "notification with error",
                br#"{"jsonrpc":"2.0","method":"m","error":{}}"#.to_vec(),
                Reject(INVALID_REQUEST, null.clone()),
            ),
            // A bad response is answered with id null: its id is in the server's numbering.
            (
                "result and error",
                br#"{"jsonrpc":"2.0","id":7,"result":1,"error":{"code":1,"message":"x"}}"#.to_vec(),
                Reject(INVALID_REQUEST, null.clone()),
            ),
            (
                "response without id",
                br#"{"jsonrpc":"2.0","result":1}"#.to_vec(),
                Reject(INVALID_REQUEST, null.clone()),
            ),
            (
                "error not an object",
                br#"{"jsonrpc":"2.0","id":7,"error":"boom"}"#.to_vec(),
                Reject(INVALID_REQUEST, null.clone()),
            ),
            (
                "error without message",
                br#"{"jsonrpc":"2.0","id":7,"error":{"code":1}}"#.to_vec(),
                Reject(INVALID_REQUEST, null.clone()),
            ),
            (
                "id only",
                br#"{"jsonrpc":"2.0","id":7}"#.to_vec(),
                Reject(INVALID_REQUEST, null.clone()),
            ),
            (
                "response with float id",
                br#"{"jsonrpc":"2.0","id":1.5,"result":1}"#.to_vec(),
                Reject(INVALID_REQUEST, null.clone()),
            ),
        ];
        let mut failures = Vec::new();
        for (name, body, expected) in cases {
            let got = outcome(&body);
            if got != expected {
                failures.push(format!("{name}: expected {expected:?}, got {got:?}"));
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    #[test]
    fn forwarded_bytes_are_compact_repaired_json() {
        let m = check(br#" { "jsonrpc" : "2.0", "method":"m", "id" : 3, "params": {"q": "\udc00", "b": 1} } "#)
            .unwrap();
        let bytes = m.to_bytes();
        let text = std::str::from_utf8(&bytes).unwrap();
        assert!(!text.contains(' ') && text.contains('\u{fffd}'), "{text}");
        assert_eq!(
            serde_json::from_slice::<Value>(&bytes).unwrap(),
            json!({"jsonrpc": "2.0", "method": "m", "id": 3, "params": {"q": "\u{fffd}", "b": 1}})
        );
        assert_eq!(m.method(), Some("m"));
        assert_eq!(m.id(), Some(&json!(3)));
    }

    #[test]
    fn rejections_answer_with_a_json_rpc_error_response() {
        let r = check(b"{").unwrap_err();
        let response = r.response();
        assert_eq!(response["jsonrpc"], "2.0");
        assert_eq!(response["id"], Value::Null);
        assert_eq!(response["error"]["code"], PARSE_ERROR);
        let message = response["error"]["message"].as_str().unwrap();
        assert!(
            message.starts_with("Parse error: the body is not JSON"),
            "{message}"
        );

        let r = check(br#"{"jsonrpc":"2.0","id":"x","method":1}"#).unwrap_err();
        assert_eq!(
            r.response(),
            json!({"jsonrpc": "2.0", "id": "x", "error": {"code": INVALID_REQUEST,
                   "message": "Invalid Request: `method` must be a string"}})
        );
    }

    #[test]
    fn deep_nesting_is_a_parse_error_on_a_small_stack() {
        // serde_json's recursion limit stops at depth 128: 100,000 levels parsed on a 512 KiB stack (without
        // the limit they would need tens of MiB).
        let handle = std::thread::Builder::new()
            .stack_size(512 * 1024)
            .spawn(|| {
                let deep = [vec![b'['; 100_000], vec![b']'; 100_000]].concat();
                check(&deep).unwrap_err().code()
            })
            .unwrap();
        assert_eq!(handle.join().unwrap(), PARSE_ERROR);
    }
}
