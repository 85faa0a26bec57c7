# The Python SDK wechatpayv3 (PyPI, minibear2021/wechatpayv3) against `wechatpay mock`, set up as
# its README says, with its own answer verification on: certificates (or the public key), a
# Native order, query, payment through the emulator's admin API, the notifications received on
# loopback and opened with the SDK's own `callback`, close, refund, bill download and a missing
# field. Run by tests/interop_python.rs:
#
#     python flow.py EMULATOR.json MODE
#
# EMULATOR.json is what `wechatpay mock --json` printed (only its WECHATPAY_* export values are
# read), MODE `public-key` or `certificate`: how the SDK is set up, its README's 平台公钥模式 or
# 平台证书模式. Prints one line per step,
# `PASS name: detail` or `FAIL name: why`, then `N passed, N failed`; exits 1 on any failure.
import gzip
import hashlib
import json
import os
import queue
import sys
import threading
import time
import traceback
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import requests
from cryptography import x509
from wechatpayv3 import WeChatPay, WeChatPayType

APPID = 'wxd678efh567hg6787'
BEIJING = timezone(timedelta(hours=8))

config_path, mode = sys.argv[1], sys.argv[2]
with open(config_path, encoding='utf-8') as f:
    cfg = json.load(f)


def read(path):
    with open(path, encoding='utf-8') as f:
        return f.read()


# How a user trusts the emulator's CA with requests (the SDK's HTTP library).
os.environ['REQUESTS_CA_BUNDLE'] = cfg['WECHATPAY_CA']
base = cfg['WECHATPAY_BASE_URI'].rstrip('/')
admin = base + '/__emulator/'

notes = queue.Queue()


class Notified(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get('Content-Length', 0)))
        notes.put((self.path, self.headers, body))
        # The answer WeChat Pay documents for a notification received (the SDK's examples too).
        answer = json.dumps({'code': 'SUCCESS', 'message': '成功'}).encode()
        self.send_response(200)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args):
        pass


listener = ThreadingHTTPServer(('127.0.0.1', 0), Notified)
threading.Thread(target=listener.serve_forever, daemon=True).start()
notify_url = 'http://127.0.0.1:%d/notify' % listener.server_address[1]

results = []
state = {}


def step(name):
    def run(fn):
        try:
            detail = fn()
            results.append((name, True, detail or ''))
        except Exception as e:  # every failure is a result, the next steps still run
            why = '%s: %s' % (type(e).__name__, e)
            if os.environ.get('INTEROP_TRACE'):
                why += '\n' + traceback.format_exc()
            results.append((name, False, why))
        return fn
    return run


def need(key):
    if key not in state:
        raise RuntimeError('not run: needs %s from an earlier step' % key)
    return state[key]


def expect(cond, what):
    if not cond:
        raise AssertionError(what)


def notification(event_type, timeout=10):
    """The next notification to our handler, opened with the SDK's callback helper."""
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError('no %s notification in %d s' % (event_type, timeout))
        try:
            _, headers, body = notes.get(timeout=left)
        except queue.Empty:
            continue
        opened = need('wxpay').callback(headers, body)
        expect(opened is not None,
               'callback() refused the notification (signature or decryption); headers %s'
               % {k: v for k, v in headers.items() if k.lower().startswith('wechatpay')})
        if opened.get('event_type') == event_type:
            return opened


def platform_certificate():
    """The platform certificate (PEM) and its serial, as the emulator exports them."""
    for k in ('WECHATPAY_PLATFORM_CERT', 'WECHATPAY_PLATFORM_SERIAL', 'WECHATPAY_PLATFORM_CERT_DIR'):
        expect(cfg.get(k), 'the export lines have no %s' % k)
    return read(cfg['WECHATPAY_PLATFORM_CERT']), cfg['WECHATPAY_PLATFORM_SERIAL']


@step('init')
def init():
    common = dict(
        wechatpay_type=WeChatPayType.NATIVE,
        mchid=cfg['WECHATPAY_MCHID'],
        private_key=read(cfg['WECHATPAY_PRIVATE_KEY']),
        cert_serial_no=cfg['WECHATPAY_SERIAL'],
        apiv3_key=cfg['WECHATPAY_APIV3_KEY'],
        appid=APPID,
        notify_url=notify_url,
        timeout=(10, 30),
    )
    if mode == 'public-key':
        wxpay = WeChatPay(public_key=read(cfg['WECHATPAY_PUBLIC_KEY']),
                          public_key_id=cfg['WECHATPAY_PUBLIC_KEY_ID'], **common)
    else:
        # CERT_DIR, the SDK's platform certificate cache, holding the exported certificate: the
        # constructor loads it (it would download from its fixed gateway only were it empty).
        platform_certificate()
        wxpay = WeChatPay(cert_dir=cfg['WECHATPAY_PLATFORM_CERT_DIR'], **common)
    # The SDK has no setting for its gateway (https://api.mch.weixin.qq.com, fixed in Core):
    # pointing it at the emulator is the one line a user of the emulator adds.
    wxpay._core._gate_way = base
    state['wxpay'] = wxpay
    return '%s mode, gateway %s' % (mode, base)


if mode == 'public-key':
    @step('public key')
    def public_key():
        core = need('wxpay')._core
        expect(core._public_key is not None and not core._certificates,
               'the public key loaded, no certificate')
        return 'answers verified under %s, no certificate downloaded' % cfg['WECHATPAY_PUBLIC_KEY_ID']
else:
    @step('certificates')
    def certificates():
        pem, serial = platform_certificate()
        core = need('wxpay')._core
        # What the SDK runs by itself when an answer names a serial it does not hold: GET
        # v3/certificates, each certificate decrypted with the APIv3 key, then cached in
        # CERT_DIR as SERIAL.pem.
        core._update_certificates()
        serials = ['%X' % c.serial_number for c in core._certificates]
        expect(serials, 'GET v3/certificates gave the SDK no certificate it accepts')
        expect(int(serial, 16) in [c.serial_number for c in core._certificates],
               'the exported serial %s among the downloaded %s' % (serial, serials))
        cached = os.path.join(cfg['WECHATPAY_PLATFORM_CERT_DIR'], serial + '.pem')
        expect(os.path.exists(cached), 'the SDK cached %s' % cached)
        got = x509.load_pem_x509_certificate(read(cached).encode())
        want = x509.load_pem_x509_certificate(pem.encode())
        expect(got == want, 'the downloaded certificate is the exported one')
        return 'downloaded, decrypted and cached %s' % ', '.join(serials)


out_trade_no = 'PY%d%s' % (int(time.time() * 1000), 'P' if mode == 'public-key' else 'C')


@step('order')
def order():
    code, message = need('wxpay').pay(description='interop', out_trade_no=out_trade_no,
                                      amount={'total': 100, 'currency': 'CNY'},
                                      pay_type=WeChatPayType.NATIVE)
    expect(code == 200, 'HTTP %s: %s' % (code, message))
    code_url = json.loads(message).get('code_url', '')
    expect(code_url.startswith('weixin://'), 'a code_url, got %s' % message)
    state['order'] = out_trade_no
    return 'Native %s: %s (answer verified)' % (out_trade_no, code_url)


@step('query before payment')
def query_unpaid():
    code, message = need('wxpay').query(out_trade_no=need('order'))
    expect(code == 200, 'HTTP %s: %s' % (code, message))
    expect(json.loads(message)['trade_state'] == 'NOTPAY', 'NOTPAY, got %s' % message)
    return 'NOTPAY'


@step('payment')
def payment():
    r = requests.post(admin + 'orders/%s/pay' % need('order'), timeout=10)
    expect(r.status_code == 200, 'admin pay: HTTP %s %s' % (r.status_code, r.text))
    state['paid'] = True
    return 'paid through the admin API: %s' % r.json().get('transaction_id')


@step('payment notification')
def paid_note():
    need('paid')
    note = notification('TRANSACTION.SUCCESS')
    res = note['resource']
    expect(res.get('out_trade_no') == need('order'), 'the order, got %s' % res)
    expect(res.get('trade_state') == 'SUCCESS', 'SUCCESS, got %s' % res)
    state['transaction_id'] = res.get('transaction_id')
    return 'TRANSACTION.SUCCESS verified and decrypted by callback(): %s' % res.get('transaction_id')


@step('query after payment')
def query_paid():
    code, message = need('wxpay').query(out_trade_no=need('order'))
    expect(code == 200, 'HTTP %s: %s' % (code, message))
    q = json.loads(message)
    expect(q['trade_state'] == 'SUCCESS', 'SUCCESS, got %s' % message)
    expect(q['transaction_id'] == need('transaction_id'), 'the notified transaction_id')
    expect(q['amount']['payer_total'] == 100, 'payer_total 100, got %s' % q['amount'])
    return 'SUCCESS %s, payer_total 100' % q['transaction_id']


@step('close')
def close():
    other = out_trade_no + 'X'
    wxpay = need('wxpay')
    code, message = wxpay.pay(description='interop', out_trade_no=other,
                              amount={'total': 1}, pay_type=WeChatPayType.NATIVE)
    expect(code == 200, 'order: HTTP %s: %s' % (code, message))
    code, message = wxpay.close(out_trade_no=other)
    expect(code == 204, 'HTTP %s: %s' % (code, message))
    code, message = wxpay.query(out_trade_no=other)
    expect(json.loads(message)['trade_state'] == 'CLOSED', 'CLOSED, got %s' % message)
    return '204 (its signature over no body verified), then CLOSED'


@step('refund')
def refund():
    code, message = need('wxpay').refund(out_refund_no='R' + need('order'),
                                         out_trade_no=need('order'),
                                         amount={'refund': 40, 'total': 100, 'currency': 'CNY'})
    expect(code == 200, 'HTTP %s: %s' % (code, message))
    r = json.loads(message)
    expect(r['status'] in ('SUCCESS', 'PROCESSING'), 'a refund status, got %s' % message)
    expect(r['amount']['refund'] == 40, 'refund 40, got %s' % r['amount'])
    state['refund'] = r['out_refund_no']
    return '40 of 100: %s %s' % (r['status'], r['refund_id'])


@step('refund notification')
def refund_note():
    need('refund')
    note = notification('REFUND.SUCCESS')
    res = note['resource']
    expect(res.get('out_refund_no') == need('refund'), 'the refund, got %s' % res)
    expect(res.get('refund_status') == 'SUCCESS', 'refund_status SUCCESS, got %s' % res)
    return 'REFUND.SUCCESS verified and decrypted by callback()'


@step('query refund')
def query_refund():
    code, message = need('wxpay').query_refund(out_refund_no=need('refund'))
    expect(code == 200, 'HTTP %s: %s' % (code, message))
    expect(json.loads(message)['status'] == 'SUCCESS', 'SUCCESS, got %s' % message)
    return 'SUCCESS'


@step('bill')
def bill():
    wxpay = need('wxpay')
    day = datetime.now(BEIJING).strftime('%Y-%m-%d')
    # WeChat Pay makes a day's bills the next morning: today's is still being made ...
    code, message = wxpay.trade_bill(bill_date=day)
    expect(code == 400 and json.loads(message)['code'] == 'STATEMENT_CREATING',
           "today's bill: 400 STATEMENT_CREATING, got %s %s" % (code, message))
    # ... unless the emulator is asked to hand today's out at once.
    r = requests.post(admin + 'same-day-bills', timeout=10)
    expect(r.status_code == 200, 'same-day bills: HTTP %s %s' % (r.status_code, r.text))
    code, message = wxpay.trade_bill(bill_date=day)
    expect(code == 200, 'HTTP %s: %s' % (code, message))
    m = json.loads(message)
    code, data = wxpay.download_bill(m['download_url'])
    expect(code == 200, 'download: HTTP %s: %r' % (code, data[:200]))
    expect(isinstance(data, bytes), 'the bill as bytes, got %s' % type(data))
    text = gzip.decompress(data)
    expect(m['hash_type'] == 'SHA1', 'hash_type SHA1, got %s' % m['hash_type'])
    expect(hashlib.sha1(text).hexdigest() == m['hash_value'].lower(),
           'SHA1 of the unpacked bill is hash_value')
    expect(need('order').encode() in text, 'the order in the bill')
    return ('%s: STATEMENT_CREATING, then (same-day bills) %d bytes gzip, %d unpacked, SHA1 '
            'checked, the order listed' % (day, len(data), len(text)))


@step('missing field')
def missing():
    # Any order: WeChat Pay checks the fields before it looks the order up.
    code, message = need('wxpay').refund(out_refund_no='M' + out_trade_no,
                                         out_trade_no=out_trade_no,
                                         amount={'refund': 1, 'currency': 'CNY'})
    expect(code == 400, 'HTTP 400, got %s: %s' % (code, message))
    e = json.loads(message)
    expect(e['code'] == 'PARAM_ERROR', 'PARAM_ERROR, got %s' % message)
    expect('total' in e['message'], 'the message names amount.total: %s' % e['message'])
    return '400 PARAM_ERROR: %s' % e['message']


@step('forged answer refused')
def forged():
    wxpay, order = need('wxpay'), need('order')
    requests.post(admin + 'faults/BadSignature', timeout=10).raise_for_status()
    try:
        wxpay.query(out_trade_no=order)
        refused = None
    except Exception as e:
        refused = e
    finally:
        requests.delete(admin + 'faults/BadSignature', timeout=10).raise_for_status()
    expect(refused is not None, 'the SDK accepted an answer with a forged signature')
    return 'the SDK refused it: %s' % refused


@step('emulator journal')
def journal():
    j = requests.get(admin + 'journal', timeout=10).json()
    expect(len(j) >= 10, 'at least 10 requests journaled, got %d' % len(j))
    bad = [(r['method'], r['path']) for r in j if not r['verified']]
    expect(not bad, 'the emulator could not verify the SDK\'s signature on %s' % bad)
    d = requests.get(admin + 'deliveries', timeout=10).json()
    ours = [x for x in d if need('order') in x.get('subject', '')]
    expect(len(ours) >= 2 and all(x['outcome'] == 'delivered' for x in ours),
           'the payment and refund notifications delivered, got %s' % d)
    return '%d requests, every signature verified; %d deliveries to our handler' % (len(j), len(ours))


listener.shutdown()
for name, ok, detail in results:
    print('%s %s: %s' % ('PASS' if ok else 'FAIL', name, detail))
failed = sum(1 for _, ok, _ in results if not ok)
print('%s: %d passed, %d failed' % (mode, len(results) - failed, failed))
sys.exit(1 if failed else 0)
