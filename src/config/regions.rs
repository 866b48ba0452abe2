//! Where requests go: the regional API hosts of each service, and `endpoint`, which replaces
//! them. Standalone (no crate imports): build.rs includes this file to fill the console's
//! region choices from these tables.

/// One region of a service: its id, the API host, and the title the console shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Region {
    /// `RegionId`.
    pub id: &'static str,
    /// The API host in that region.
    pub host: &'static str,
    /// What the console's region picker shows.
    pub title: &'static str,
}

const fn region(id: &'static str, host: &'static str, title: &'static str) -> Region {
    Region { id, host, title }
}

/// Direct Mail regions. <https://www.alibabacloud.com/help/en/direct-mail/api-endpoints>
pub const DM_REGIONS: &[Region] = &[
    region("cn-hangzhou", "dm.aliyuncs.com", "China (Hangzhou)"),
    region(
        "ap-southeast-1",
        "dm.ap-southeast-1.aliyuncs.com",
        "Singapore",
    ),
    region(
        "ap-southeast-2",
        "dm.ap-southeast-2.aliyuncs.com",
        "United States (formerly Sydney)",
    ),
    region(
        "eu-central-1",
        "dm.eu-central-1.aliyuncs.com",
        "Germany (Frankfurt)",
    ),
    region("us-east-1", "dm.us-east-1.aliyuncs.com", "US (Virginia)"),
];

/// SendSms (Dysmsapi 2017-05-25) regional hosts, from Aliyun's SDK endpoint map.
/// <https://help.aliyun.com/en/sms/developer-reference/api-dysmsapi-2017-05-25-endpoint>
pub const SMS_REGIONS: &[Region] = &[
    region(
        "cn-hangzhou",
        "dysmsapi.aliyuncs.com",
        "China (default, dysmsapi.aliyuncs.com)",
    ),
    region(
        "cn-beijing",
        "dysmsapi-proxy.cn-beijing.aliyuncs.com",
        "China (Beijing)",
    ),
    region(
        "cn-hongkong",
        "dysmsapi-xman.cn-hongkong.aliyuncs.com",
        "China (Hong Kong)",
    ),
    region(
        "ap-southeast-1",
        "dysmsapi.ap-southeast-1.aliyuncs.com",
        "Singapore",
    ),
    region(
        "ap-southeast-5",
        "dysmsapi.ap-southeast-5.aliyuncs.com",
        "Indonesia (Jakarta)",
    ),
    region(
        "eu-central-1",
        "dysmsapi.eu-central-1.aliyuncs.com",
        "Germany (Frankfurt)",
    ),
    region(
        "us-east-1",
        "dysmsapi.us-east-1.aliyuncs.com",
        "US (Virginia)",
    ),
];

/// SendSmsVerifyCode (Dypnsapi 2017-05-25): one central host, no regional ones.
/// <https://help.aliyun.com/zh/pnvs/developer-reference/api-dypnsapi-2017-05-25-sendsmsverifycode>
pub const SMS_AUTH_REGIONS: &[Region] = &[region(
    "cn-hangzhou",
    "dypnsapi.aliyuncs.com",
    "China (dypnsapi.aliyuncs.com)",
)];

/// The region every connector defaults to (and the only one of SMS authentication).
pub const DEFAULT_REGION: &str = "cn-hangzhou";

/// An `endpoint` each connector's messages give as an example: a host of its own service.
pub const DM_ENDPOINT_EXAMPLE: &str = "https://dm-vpc.cn-hangzhou.aliyuncs.com";
/// See [`DM_ENDPOINT_EXAMPLE`].
pub const SMS_ENDPOINT_EXAMPLE: &str = "https://dysmsapi.ap-southeast-1.aliyuncs.com";
/// See [`DM_ENDPOINT_EXAMPLE`].
pub const SMS_AUTH_ENDPOINT_EXAMPLE: &str = "https://dypnsapi.aliyuncs.com";

/// The API host of `region_id` in `regions` (the first region's for an unknown id).
pub fn region_host(regions: &[Region], region_id: &str) -> &'static str {
    regions
        .iter()
        .find(|region| region.id == region_id)
        .or(regions.first())
        .map_or("", |region| region.host)
}

/// A validated base URL that replaces the Aliyun host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// The URL requests are posted to (a path of `/` added when none was given). Error
    /// messages name its host from this URL, as they do for the default endpoints.
    pub url: String,
}

/// Parses and checks an `endpoint`: `https://host[:port][/path]`, or `http://` for a loopback
/// host only (the local sandbox), because the request carries the AccessKey ID and a signed
/// message that must not cross a network in clear text. `example` is the URL messages suggest.
pub fn parse_endpoint(text: &str, example: &str) -> Result<Endpoint, String> {
    let shape = format!("must be a URL like {example} (http:// is allowed only for loopback hosts such as 127.0.0.1 or localhost)");
    let shape = shape.as_str();
    // Up to the first colon, which must open "://": a scheme with a colon is refused anyway.
    let (scheme, rest) = text
        .split_once(':')
        .and_then(|(scheme, rest)| Some((scheme, rest.strip_prefix("//")?)))
        .ok_or_else(|| shape.to_string())?;
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "https" && scheme != "http" {
        return Err(shape.into());
    }
    // ASCII bytes are searched as bytes: a `str` search would bring its panic paths along.
    if text.chars().any(|c| c.is_whitespace() || c.is_control())
        || rest.bytes().any(|b| b == b'?' || b == b'#')
    {
        return Err(format!("{shape}; no spaces, query or fragment"));
    }
    let (authority, path) = match rest.find('/') {
        Some(slash) => (
            rest.get(..slash).unwrap_or_default(),
            rest.get(slash..).unwrap_or_default(),
        ),
        None => (rest, "/"),
    };
    if authority.bytes().any(|b| b == b'@') {
        return Err("must not contain user credentials".into());
    }
    let (host, port) = split_host_port(authority).ok_or_else(|| shape.to_string())?;
    if let Some(port) = port {
        if port.is_empty()
            || port.len() > 5
            || !port.bytes().all(|b| b.is_ascii_digit())
            || port.parse::<u32>().map_or(true, |p| p == 0 || p > 65_535)
        {
            return Err("has an invalid port".into());
        }
    }
    let host_ok = !host.is_empty()
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']'));
    if !host_ok {
        return Err(shape.into());
    }
    if scheme == "http" && !is_loopback(host) {
        return Err(format!(
            "uses plain http:// for {host}, which is not a loopback host; use https:// (http:// is allowed only for 127.0.0.1, ::1 or localhost, such as the local sandbox)"
        ));
    }
    Ok(Endpoint {
        url: format!("{scheme}://{authority}{path}"),
    })
}

fn split_host_port(authority: &str) -> Option<(&str, Option<&str>)> {
    if let Some(rest) = authority.strip_prefix('[') {
        let close = rest.find(']')?;
        let host = authority.get(..close + 2)?;
        let after = rest.get(close + 1..)?;
        return match after.strip_prefix(':') {
            Some(port) => Some((host, Some(port))),
            None if after.is_empty() => Some((host, None)),
            None => None,
        };
    }
    Some(match authority.split_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (authority, None),
    })
}

fn is_loopback(host: &str) -> bool {
    let host = host.to_ascii_lowercase();
    // Not `*.localhost`: RFC 6761 asks resolvers to map those to loopback, but glibc without
    // systemd-resolved sends them to DNS, and a signed request would then cross the network in
    // clear text.
    if host == "localhost" || host == "[::1]" {
        return true;
    }
    let octets: Vec<&str> = host.split('.').collect();
    octets.len() == 4
        && octets.first() == Some(&"127")
        && octets.iter().all(|o| {
            !o.is_empty()
                && o.len() <= 3
                && o.bytes().all(|b| b.is_ascii_digit())
                && o.parse::<u16>().is_ok_and(|n| n <= 255)
        })
}
