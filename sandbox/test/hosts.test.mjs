// Aliyun host names → product and region (https://alibabacloud.com/help/en/direct-mail/api-endpoints).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseAliyunHost } from '../hosts.mjs';

describe('parseAliyunHost', () => {
  const cases = [
    ['dm.aliyuncs.com', { product: 'dm', region: 'cn-hangzhou', vpc: false }],
    ['DM.AliyunCS.com:443', { product: 'dm', region: 'cn-hangzhou', vpc: false }],
    ['dm.ap-southeast-1.aliyuncs.com', { product: 'dm', region: 'ap-southeast-1', vpc: false }],
    ['dm.us-east-1.aliyuncs.com.', { product: 'dm', region: 'us-east-1', vpc: false }],
    ['dm-vpc.eu-central-1.aliyuncs.com', { product: 'dm', region: 'eu-central-1', vpc: true }],
    ['dysmsapi.aliyuncs.com', { product: 'sms', region: null, vpc: false }],
    [
      'dysmsapi.ap-southeast-1.aliyuncs.com',
      { product: 'sms', region: 'ap-southeast-1', vpc: false },
    ],
    [
      'dysmsapi-xman.cn-hongkong.aliyuncs.com',
      { product: 'sms', region: 'cn-hongkong', vpc: false },
    ],
    ['dypnsapi.aliyuncs.com', { product: 'pnvs', region: null, vpc: false }],
    ['Dypnsapi.AliyunCS.com:443', { product: 'pnvs', region: null, vpc: false }],
    ['dypnsapi.cn-hangzhou.aliyuncs.com', null], // no regional endpoint is documented
    ['dm-vpc.aliyuncs.com', null],
    ['127.0.0.1:8787', null],
    ['dm.aliyuncs.com.evil.example', null],
    ['', null],
    [undefined, null],
  ];
  for (const [host, expected] of cases) {
    it(`${JSON.stringify(host)} → ${JSON.stringify(expected)}`, () =>
      assert.deepEqual(parseAliyunHost(host), expected));
  }
});
