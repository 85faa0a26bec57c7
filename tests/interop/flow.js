// The Node SDK (wechatpay-axios-plugin) against the wechatpay crate's emulator: a JSAPI order,
// paid through the admin API, its notification received and decrypted, queried, refunded; every
// answer verified by the plugin with the WeChat Pay keys of the emulator's key mode (the public
// key, the platform certificate, or both, keyed by the `Wechatpay-Serial` each names). Run by
// tests/interop_node.rs with `wechatpay mock`'s export lines (and nothing else) in the
// environment: NODE_PATH finds the plugin, NODE_EXTRA_CA_CERTS trusts the emulator's CA.
'use strict';

const fs = require('fs');
const http = require('http');
const { Wechatpay, Aes, Rsa, Formatter } = require('wechatpay-axios-plugin');
const axios = require('axios');

const env = (k) => {
  const v = process.env[k];
  if (!v) { throw new Error(`${k} is not set`); }
  return v;
};
const file = (k) => fs.readFileSync(env(k), 'utf8');
const base = env('WECHATPAY_BASE_URI');
const admin = env('WECHATPAY_ADMIN_URL');
const mchid = env('WECHATPAY_MCHID');
const apiv3Key = env('WECHATPAY_APIV3_KEY');
const mode = env('WECHATPAY_MODE');

// The WeChat Pay keys by the id each is named by: the plugin's `certs` takes public keys and
// platform certificates alike.
const certs = {};
if (process.env.WECHATPAY_PUBLIC_KEY_ID) {
  certs[env('WECHATPAY_PUBLIC_KEY_ID')] = file('WECHATPAY_PUBLIC_KEY');
}
if (process.env.WECHATPAY_PLATFORM_SERIAL) {
  certs[env('WECHATPAY_PLATFORM_SERIAL')] = file('WECHATPAY_PLATFORM_CERT');
}
console.log(`mode ${mode}: WeChat Pay keys ${Object.keys(certs).join(', ')}`);

const wxpay = new Wechatpay({
  mchid,
  serial: env('WECHATPAY_SERIAL'),
  privateKey: file('WECHATPAY_PRIVATE_KEY'),
  certs,
  secret: env('WECHATPAY_APIV2_SECRET'),
  baseURL: base,
});

function check(cond, what) {
  if (!cond) { throw new Error(`check failed: ${what}`); }
}

// A notification handler on loopback: verifies the signature, decrypts the resource.
function listen() {
  let resolve;
  const received = new Promise((r) => { resolve = r; });
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const h = req.headers;
      const key = certs[h['wechatpay-serial']];
      const verified = key !== undefined && Rsa.verify(
        Formatter.response(h['wechatpay-timestamp'], h['wechatpay-nonce'], body),
        h['wechatpay-signature'],
        Rsa.from(key, Rsa.KEY_TYPE_PUBLIC),
      );
      const { event_type: eventType, resource } = JSON.parse(body);
      const plain = Aes.AesGcm.decrypt(resource.ciphertext, apiv3Key, resource.nonce, resource.associated_data);
      res.writeHead(200).end();
      resolve({ verified, serial: h['wechatpay-serial'], eventType, resource: JSON.parse(plain) });
    });
  });
  return new Promise((r) => server.listen(0, '127.0.0.1', () => r({ server, received })));
}

async function main() {
  const { server, received } = await listen();
  const notifyUrl = `http://127.0.0.1:${server.address().port}/notify`;
  const outTradeNo = `NODE${Date.now()}`;

  const { data: order, headers: answered } = await wxpay.v3.pay.transactions.jsapi.post({
    appid: 'wxd678efh567hg6787', mchid, description: 'interop', out_trade_no: outTradeNo,
    notify_url: notifyUrl, amount: { total: 100, currency: 'CNY' }, payer: { openid: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o' },
  });
  check(/^wx/.test(order.prepay_id), 'a prepay_id');
  check(certs[answered['wechatpay-serial']] !== undefined, 'the answer names a key of the mode');
  console.log(`created ${outTradeNo}: prepay_id ${order.prepay_id} (answer under ${answered['wechatpay-serial']} verified)`);

  const query = () => wxpay.v3.pay.transactions.outTradeNo.$out_trade_no$.get({ params: { mchid }, out_trade_no: outTradeNo });
  check((await query()).data.trade_state === 'NOTPAY', 'NOTPAY before payment');

  const { data: paid } = await axios.post(`${admin}orders/${outTradeNo}/pay`);
  console.log(`paid through the admin API: ${paid.trade_state} ${paid.transaction_id}`);

  const note = await Promise.race([received, new Promise((_, no) => setTimeout(() => no(new Error('no notification in 10 s')), 10000))]);
  check(note.verified, 'the notification signature verifies');
  check(note.eventType === 'TRANSACTION.SUCCESS' && note.resource.out_trade_no === outTradeNo, 'the notification');
  console.log(`notification ${note.eventType} under ${note.serial} verified and decrypted (Aes.AesGcm): ${note.resource.trade_state} ${note.resource.transaction_id}`);

  const { data: q } = await query();
  check(q.trade_state === 'SUCCESS' && q.transaction_id === note.resource.transaction_id, 'SUCCESS with its transaction_id');
  check(q.amount.payer_total === 100, 'amount.payer_total');
  console.log(`queried: ${q.trade_state}, payer_total ${q.amount.payer_total}, success_time ${q.success_time}`);

  const { data: r } = await wxpay.v3.refund.domestic.refunds.post({
    out_trade_no: outTradeNo, out_refund_no: `R${outTradeNo}`, amount: { refund: 40, total: 100, currency: 'CNY' },
  });
  check(r.status === 'SUCCESS' && r.amount.refund === 40, 'the refund');
  console.log(`refunded ${r.amount.refund} of ${r.amount.total}: ${r.status} ${r.refund_id}`);

  try {
    await wxpay.v3.refund.domestic.refunds.post({
      out_trade_no: outTradeNo, out_refund_no: `S${outTradeNo}`, amount: { refund: 61, total: 100, currency: 'CNY' },
    });
    check(false, 'refunding more than is left is refused');
  } catch (e) {
    check(e.response && e.response.status === 400 && e.response.data.code === 'NOT_ENOUGH', `NOT_ENOUGH, got ${e.message}`);
    console.log('refunding more than is left: 400 NOT_ENOUGH');
  }

  // The verifier is on: a forged answer signature is refused.
  await axios.post(`${admin}faults/BadSignature`);
  let refused = false;
  try { await query(); } catch (e) { refused = true; console.log(`forged answer refused by the plugin's verifier: ${e.code || e.message}`); }
  await axios.delete(`${admin}faults/BadSignature`);
  check(refused, 'the verifier refuses a bad signature');

  // APIv2 over the same state: the plugin signs with the APIv2 secret and checks the answers' sign.
  const v2No = `V${outTradeNo}`;
  const { data: v2 } = await wxpay.v2.pay.unifiedorder.post({
    appid: 'wxd678efh567hg6787', mch_id: mchid, body: 'interop', out_trade_no: v2No, total_fee: 1,
    spbill_create_ip: '127.0.0.1', notify_url: 'https://example.com/v2', trade_type: 'NATIVE',
  });
  check(v2.return_code === 'SUCCESS' && /^weixin:/.test(v2.code_url), `an APIv2 order, got ${JSON.stringify(v2)}`);
  await axios.post(`${admin}orders/${v2No}/pay`);
  const { data: v2q } = await wxpay.v2.pay.orderquery.post({ appid: 'wxd678efh567hg6787', mch_id: mchid, out_trade_no: v2No });
  check(v2q.trade_state === 'SUCCESS' && v2q.total_fee === '1', `the APIv2 query, got ${JSON.stringify(v2q)}`);
  console.log(`APIv2 unifiedorder ${v2No} then orderquery: ${v2q.trade_state} ${v2q.transaction_id} (sign checked)`);

  server.close();
  console.log('interop: OK');
}

main().catch((e) => {
  console.error('interop: FAILED', e && e.response ? [e.response.status, e.response.data] : e);
  process.exit(1);
});
