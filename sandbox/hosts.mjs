// Recognise real Aliyun endpoint host names, so a request that reaches the sandbox addressed
// to one (through a proxy or a Host override) is checked against the region it names.
// DM endpoints: https://alibabacloud.com/help/en/direct-mail/api-endpoints
// SMS endpoints: https://help.aliyun.com/en/sms/developer-reference/api-dysmsapi-2017-05-25-sendsms
// SMS authentication (Dypnsapi): one central endpoint, no regional one documented
// (Aliyun's generated SDK, dypnsapi-20170525 client: endpoint rule "central").

const DM_DEFAULT_REGION = 'cn-hangzhou';

/**
 * @param {string|undefined} hostHeader e.g. "dm.ap-southeast-1.aliyuncs.com:443"
 * @returns {{ product: 'dm'|'sms'|'pnvs', region: string|null, vpc: boolean } | null} null when not an Aliyun host
 */
export function parseAliyunHost(hostHeader) {
  if (!hostHeader) return null;
  const name = String(hostHeader).toLowerCase().replace(/:\d+$/, '').replace(/\.$/, '');
  let m = /^dm(-vpc)?(?:\.([a-z0-9-]+))?\.aliyuncs\.com$/.exec(name);
  if (m) {
    // dm-vpc always names its region; dm.aliyuncs.com is Hangzhou.
    if (m[1] && !m[2]) return null;
    return { product: 'dm', region: m[2] ?? DM_DEFAULT_REGION, vpc: !!m[1] };
  }
  m = /^dysmsapi(?:-(xman|proxy|vpc))?(?:\.([a-z0-9-]+))?\.aliyuncs\.com$/.exec(name);
  if (m) {
    // dysmsapi.aliyuncs.com is the central endpoint, not tied to one region.
    return { product: 'sms', region: m[2] ?? null, vpc: m[1] === 'vpc' };
  }
  if (name === 'dypnsapi.aliyuncs.com') return { product: 'pnvs', region: null, vpc: false };
  return null;
}
