//! Items in DynamoDB's JSON form (`{"pk": {"S": "a"}, "n": {"N": "1"}}`),
//! as the AWS CLI and DynamoDB's exports write them: binary values in
//! standard base64.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;

use crate::value::{AttributeValue, Item};

/// The item `value` describes; the error names the attribute at fault.
pub(super) fn item(value: &Value) -> Result<Item, String> {
    let object = value
        .as_object()
        .ok_or_else(|| "an item is a JSON object of attributes".to_owned())?;
    object
        .iter()
        .map(|(name, v)| {
            attribute(v)
                .map(|a| (name.clone(), a))
                .map_err(|e| format!("attribute `{name}`: {e}"))
        })
        .collect()
}

fn attribute(value: &Value) -> Result<AttributeValue, String> {
    use AttributeValue as V;
    let object = value.as_object().filter(|o| o.len() == 1).ok_or_else(|| {
        "a value is an object with one type key, such as {\"S\": \"text\"}".to_owned()
    })?;
    let Some((kind, body)) = object.iter().next() else {
        return Err("empty value".to_owned());
    };
    let text = |v: &Value| {
        v.as_str()
            .map(str::to_owned)
            .ok_or_else(|| format!("`{kind}` holds a string"))
    };
    let blob = |v: &Value| {
        let t = text(v)?;
        STANDARD
            .decode(t)
            .map(aws_sdk_dynamodb::primitives::Blob::new)
            .map_err(|e| format!("`{kind}` holds base64: {e}"))
    };
    let list = || {
        body.as_array()
            .ok_or_else(|| format!("`{kind}` holds a list"))
    };
    Ok(match kind.as_str() {
        "S" => V::S(text(body)?),
        "N" => V::N(text(body)?),
        "B" => V::B(blob(body)?),
        "BOOL" => V::Bool(
            body.as_bool()
                .ok_or_else(|| "`BOOL` holds true or false".to_owned())?,
        ),
        // DynamoDB refuses `{"NULL": false}` (ValidationException).
        "NULL" => match body {
            Value::Bool(true) => V::Null(true),
            _ => return Err("`NULL` holds true (DynamoDB refuses any other)".to_owned()),
        },
        "SS" => V::Ss(list()?.iter().map(text).collect::<Result<_, _>>()?),
        "NS" => V::Ns(list()?.iter().map(text).collect::<Result<_, _>>()?),
        "BS" => V::Bs(list()?.iter().map(blob).collect::<Result<_, _>>()?),
        "L" => V::L(list()?.iter().map(attribute).collect::<Result<_, _>>()?),
        "M" => V::M(item(body)?),
        other => {
            return Err(format!(
                "unknown type `{other}` (S, N, B, BOOL, NULL, SS, NS, BS, L, M)"
            ));
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_type_decodes() {
        let decoded = item(&json!({
            "pk": {"S": "a"},
            "n": {"N": "1.5"},
            "b": {"B": "AQI="},
            "t": {"BOOL": true},
            "z": {"NULL": true},
            "ss": {"SS": ["x", "y"]},
            "l": {"L": [{"N": "2"}, {"M": {"k": {"S": "v"}}}]},
        }))
        .unwrap();
        assert_eq!(decoded["pk"], AttributeValue::S("a".into()));
        assert_eq!(decoded["n"], AttributeValue::N("1.5".into()));
        assert_eq!(
            decoded["b"],
            AttributeValue::B(aws_sdk_dynamodb::primitives::Blob::new(vec![1, 2]))
        );
        assert_eq!(
            decoded["ss"],
            AttributeValue::Ss(vec!["x".into(), "y".into()])
        );
        let AttributeValue::L(list) = &decoded["l"] else {
            panic!("{decoded:?}")
        };
        assert_eq!(list.len(), 2);
    }

    #[test]
    fn errors_name_the_attribute() {
        let error = item(&json!({"pk": {"S": 1}})).unwrap_err();
        assert_eq!(error, "attribute `pk`: `S` holds a string");
        let error = item(&json!({"m": {"M": {"x": {"Q": "1"}}}})).unwrap_err();
        assert!(
            error.starts_with("attribute `m`: attribute `x`: unknown type `Q`"),
            "{error}"
        );
        assert!(item(&json!(["pk"])).is_err());
    }
}
