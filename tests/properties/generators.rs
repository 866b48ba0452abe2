//! Generators of configs, payloads, templates and text, and mutations of valid configs.

use aliyun_connectors::Kind;
use proptest::prelude::*;
use serde_json::{json, Map, Value};

use super::harness::{SECRET, TOKEN};

/// Words the core gives a meaning to, and text that has broken parsers before.
pub const WORDS: &[&str] = &[
    "",
    " ",
    "SignIn",
    "Register",
    "ForgotPassword",
    "Generic",
    "Signin",
    "sign_in",
    "BindMfa",
    "OrganizationInvitation",
    "SomethingNew",
    "cn-hangzhou",
    "ap-southeast-1",
    "cn-beijing",
    "mars-1",
    "https://dm-vpc.cn-hangzhou.aliyuncs.com",
    "https://dm.aliyuncs.com/custom/path",
    "http://127.0.0.1:8787/",
    "http://localhost",
    "http://[::1]:9/",
    "http://example.com/",
    "http://127.0.0.1.nip.io/",
    "http://127.0.0.1@example.com/",
    "https://user:pw@host/",
    "ftp://127.0.0.1/",
    "http://127.0.0.1:0/",
    "http://127.0.0.1:99999/",
    "text/plain",
    "text/html",
    "zh-CN",
    "en",
    "fr-CA",
    "x",
    "{{code}}",
    "{{ code }}",
    "{{a.b.0}}",
    "{{",
    "}}",
    "中文验证码",
    "한국어 인증 코드",
    "Français àéèêëîïôöùûüç",
    "😀",
    "𠮷野家",
    "\u{0}",
    "\u{FEFF}",
    "\u{202E}",
    "\r\n",
    "__proto__",
    "constructor",
    "prototype",
    "toString",
    "accessKeySecret",
    "null",
    "1e309",
    "9007199254740993",
    "a@b.co",
    "a@b.co,c@d.co",
    "13912345678",
    "+8613912345678",
    "SMS_123",
    SECRET,
    TOKEN,
];

/// Keys beyond the config and template key lists: a templateCode object, the payload, the
/// answers, and a prototype name.
pub const OTHER_KEYS: &[&str] = &[
    "china",
    "overseas",
    "code",
    "EnvId",
    "RequestId",
    "Code",
    "Message",
    "BizId",
    "__proto__",
];

/// Every key the configs, templates and answers understand, from the core's own key lists.
pub fn keys() -> Vec<&'static str> {
    use aliyun_connectors::config::{
        DM_KEYS, DM_TEMPLATE_KEYS, SMS_AUTH_KEYS, SMS_AUTH_TEMPLATE_KEYS, SMS_KEYS,
        SMS_TEMPLATE_KEYS,
    };
    let mut keys: Vec<&'static str> = Vec::new();
    let lists = [
        DM_KEYS,
        SMS_KEYS,
        SMS_AUTH_KEYS,
        DM_TEMPLATE_KEYS,
        SMS_TEMPLATE_KEYS,
        SMS_AUTH_TEMPLATE_KEYS,
        OTHER_KEYS,
    ];
    for key in lists.iter().flat_map(|list| list.iter()) {
        if !keys.contains(key) {
            keys.push(key);
        }
    }
    keys
}

pub fn arb_text() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(WORDS).prop_map(str::to_string),
        3 => any::<String>(),
        2 => "[ -~]{0,24}",
        1 => "[\\x00-\\x1f\\x7f\u{80}-\u{9f}]{0,4}",
        1 => prop::collection::vec(prop::sample::select(WORDS), 0..4).prop_map(|parts| parts.concat()),
    ]
}

pub fn arb_key() -> impl Strategy<Value = String> {
    prop_oneof![3 => prop::sample::select(keys()).prop_map(str::to_string), 1 => arb_text()]
}

pub fn arb_number() -> impl Strategy<Value = Value> {
    prop_oneof![
        prop::sample::select(
            &[
                0.0,
                -0.0,
                0.5,
                1.0,
                2.0,
                6.0,
                7.0,
                999.0,
                1000.0,
                1000.5,
                10000.0,
                60000.0,
                60001.0,
                4_294_967_296.0,
                -1.0,
                1e21,
                1.7976931348623157e308,
                5e-324
            ][..]
        )
        .prop_map(|f| json!(f)),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
    ]
}

pub fn arb_leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        1 => Just(Value::Null),
        1 => any::<bool>().prop_map(Value::Bool),
        2 => arb_number(),
        4 => arb_text().prop_map(Value::String),
    ]
}

/// Any JSON value: nested arrays and objects of arbitrary leaves.
pub fn arb_json() -> impl Strategy<Value = Value> {
    arb_leaf().prop_recursive(6, 96, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            prop::collection::vec((arb_key(), inner), 0..8)
                .prop_map(|pairs| Value::Object(pairs.into_iter().collect())),
        ]
    })
}

/// An object with the config's own keys, each holding anything, and templates of the right
/// shape holding anything: reaches the deeper validation rules more often than `arb_json`.
pub fn arb_config_shaped() -> impl Strategy<Value = Value> {
    let template = prop::collection::vec((prop::sample::select(keys()), arb_json()), 0..6)
        .prop_map(|pairs| {
            Value::Object(pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
        });
    let templates = prop_oneof![
        4 => prop::collection::vec(template, 0..6).prop_map(Value::Array),
        1 => arb_json(),
    ];
    (
        prop::collection::vec((prop::sample::select(keys()), arb_json()), 0..10),
        templates,
    )
        .prop_map(|(pairs, templates)| {
            let mut object: Map<String, Value> =
                pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
            object.insert("templates".into(), templates);
            Value::Object(object)
        })
}

pub fn dm_base(variant: usize) -> Value {
    let templates = |subject: &str| {
        json!(["SignIn", "Register", "ForgotPassword", "Generic"]
            .iter()
            .map(|t| json!({ "usageType": t, "subject": format!("{subject} {t} {{{{code}}}}"), "content": format!("<p>{t}: {{{{code}}}}</p>") }))
            .collect::<Vec<_>>())
    };
    match variant % 3 {
        0 => {
            json!({ "accessKeyId": "LTAI-test", "accessKeySecret": SECRET, "accountName": "noreply@mail.example.com", "templates": templates("Code") })
        }
        1 => json!({
            "accessKeyId": "LTAI-test", "accessKeySecret": SECRET, "securityToken": TOKEN, "accountName": "noreply@mail.example.com",
            "fromAlias": "Logto 团队", "regionId": "ap-southeast-1", "endpoint": "http://127.0.0.1:8787/", "timeoutMs": 1000,
            "templates": templates("验证码"),
        }),
        _ => json!({
            "accessKeyId": "LTAI-test", "accessKeySecret": SECRET, "securityToken": TOKEN, "accountName": "noreply@mail.example.com",
            "endpoint": "https://dm-vpc.cn-hangzhou.aliyuncs.com", "timeoutMs": null, "fromAlias": "",
            "templates": [
                { "usageType": "SignIn", "subject": "Code {{code}}", "content": "plain {{code}}", "locale": "en", "contentType": "text/plain" },
                { "usageType": "SignIn", "subject": "코드 {{code}}", "content": "<p>{{code}}</p>", "locale": "ko-KR" },
                { "usageType": "Register", "subject": "R {{code}}", "content": "r {{code}}", "contentType": "text/html" },
                { "usageType": "ForgotPassword", "subject": "F {{code}}", "content": "f {{code}}", "locale": "" },
                { "usageType": "Generic", "subject": "G {{code}}", "content": "g {{code}}", "contentType": null },
            ],
        }),
    }
}

pub fn sms_base(variant: usize) -> Value {
    match variant % 3 {
        0 => json!({
            "accessKeyId": "LTAI-test", "accessKeySecret": SECRET, "signName": "阿里云短信测试",
            "templates": [
                { "usageType": "SignIn", "templateCode": "SMS_1", "type": 2 },
                { "usageType": "Register", "templateCode": "SMS_2" },
                { "usageType": "ForgotPassword", "templateCode": "SMS_3" },
                { "usageType": "Generic", "templateCode": "SMS_4" },
            ],
        }),
        1 => json!({
            "accessKeyId": "LTAI-test", "accessKeySecret": SECRET, "securityToken": TOKEN, "signName": "Logto",
            "regionId": "ap-southeast-1", "endpoint": "http://localhost:8787", "timeoutMs": 60000, "strictPhoneRegionNumberCheck": true,
            "templates": [
                { "usageType": "SignIn", "templateCode": { "china": "SMS_CN", "overseas": "SMS_INT" } },
                { "usageType": "Register", "templateCode": "SMS_2", "locale": "zh-CN" },
                { "usageType": "ForgotPassword", "templateCode": "SMS_3" },
                { "usageType": "Generic", "templateCode": "SMS_4", "type": 6 },
            ],
        }),
        _ => json!({
            "accessKeyId": "LTAI-test", "accessKeySecret": SECRET, "securityToken": TOKEN, "signName": "Logto",
            "regionId": null, "endpoint": "", "timeoutMs": "",
            "templates": [
                { "usageType": "SignIn", "templateCode": "SMS_1", "locale": "en" },
                { "usageType": "SignIn", "templateCode": "SMS_1KO", "locale": "ko" },
                { "usageType": "Register", "templateCode": "SMS_2" },
                { "usageType": "ForgotPassword", "templateCode": "SMS_3" },
                { "usageType": "Generic", "templateCode": "SMS_4", "locale": "fr" },
            ],
        }),
    }
}

#[derive(Debug, Clone)]
pub enum Seg {
    Key(String),
    Index(usize),
}

/// One change to a valid config; `at` picks a node among all nodes (modulo their number).
#[derive(Debug, Clone)]
pub enum Mutation {
    Set {
        at: usize,
        value: Value,
    },
    Remove {
        at: usize,
    },
    Insert {
        at: usize,
        key: String,
        value: Value,
    },
    Duplicate {
        at: usize,
    },
    CopySecret {
        at: usize,
    },
}

pub fn arb_mutation() -> impl Strategy<Value = Mutation> {
    let at = any::<usize>();
    prop_oneof![
        4 => (at, arb_json()).prop_map(|(at, value)| Mutation::Set { at, value }),
        3 => (at, arb_leaf()).prop_map(|(at, value)| Mutation::Set { at, value }),
        2 => at.prop_map(|at| Mutation::Remove { at }),
        2 => (at, arb_key(), arb_json()).prop_map(|(at, key, value)| Mutation::Insert { at, key, value }),
        1 => at.prop_map(|at| Mutation::Duplicate { at }),
        1 => at.prop_map(|at| Mutation::CopySecret { at }),
    ]
}

pub fn paths(value: &Value, prefix: &mut Vec<Seg>, out: &mut Vec<Vec<Seg>>) {
    out.push(prefix.clone());
    match value {
        Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                prefix.push(Seg::Index(index));
                paths(item, prefix, out);
                prefix.pop();
            }
        }
        Value::Object(map) => {
            for (key, item) in map {
                prefix.push(Seg::Key(key.clone()));
                paths(item, prefix, out);
                prefix.pop();
            }
        }
        _ => {}
    }
}

pub fn node_mut<'v>(value: &'v mut Value, path: &[Seg]) -> Option<&'v mut Value> {
    let mut current = value;
    for seg in path {
        current = match (seg, current) {
            (Seg::Key(key), Value::Object(map)) => map.get_mut(key)?,
            (Seg::Index(index), Value::Array(items)) => items.get_mut(*index)?,
            _ => return None,
        };
    }
    Some(current)
}

pub fn mutate(mut value: Value, mutations: &[Mutation]) -> Value {
    for mutation in mutations {
        let mut all = Vec::new();
        paths(&value, &mut Vec::new(), &mut all);
        let pick = |at: usize| all[at % all.len()].clone();
        match mutation {
            Mutation::Set { at, value: new } => {
                if let Some(node) = node_mut(&mut value, &pick(*at)) {
                    *node = new.clone();
                }
            }
            Mutation::CopySecret { at } => {
                if let Some(node) = node_mut(&mut value, &pick(*at)) {
                    *node = Value::String(if at % 2 == 0 { SECRET } else { TOKEN }.to_string());
                }
            }
            Mutation::Remove { at } => {
                let path = pick(*at);
                if let Some((last, parent)) = path.split_last() {
                    match (last, node_mut(&mut value, parent)) {
                        (Seg::Key(key), Some(Value::Object(map))) => {
                            map.remove(key);
                        }
                        (Seg::Index(index), Some(Value::Array(items))) if *index < items.len() => {
                            items.remove(*index);
                        }
                        _ => {}
                    }
                }
            }
            Mutation::Insert {
                at,
                key,
                value: new,
            } => match node_mut(&mut value, &pick(*at)) {
                Some(Value::Object(map)) => {
                    map.insert(key.clone(), new.clone());
                }
                Some(Value::Array(items)) => items.push(new.clone()),
                _ => {}
            },
            Mutation::Duplicate { at } => {
                let path = pick(*at);
                if let Some((Seg::Index(index), parent)) = path.split_last() {
                    if let Some(Value::Array(items)) = node_mut(&mut value, parent) {
                        if let Some(item) = items.get(*index).cloned() {
                            items.push(item);
                        }
                    }
                }
            }
        }
    }
    value
}

pub fn arb_mutated_config() -> impl Strategy<Value = (Kind, Value)> {
    (
        any::<bool>(),
        0..3usize,
        prop::collection::vec(arb_mutation(), 0..6),
    )
        .prop_map(|(sms, variant, mutations)| {
            let kind = if sms { Kind::Sms } else { Kind::Dm };
            let base = if sms {
                sms_base(variant)
            } else {
                dm_base(variant)
            };
            (kind, mutate(base, &mutations))
        })
}
