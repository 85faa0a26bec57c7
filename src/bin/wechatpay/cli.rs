//! The command line: global options, commands, their help and exit codes.

use clap::{Parser, Subcommand};
use std::path::PathBuf;

/// The exit codes, shown by `--help` and by each command's help.
const EXIT_CODES: &str =
    "Exit codes (a retried call: the worst of its attempts):\n  0  success\n  1  the call may have \
taken effect: it failed after it was sent, or its answer was refused as unverified (query before \
retrying a write); `list`: nothing matched\n  2  nothing was sent: bad input or configuration \
(one line names the culprit), or no connection could be made\n  3  WeChat Pay refused the call, \
verifiably (a signed 4xx or APIv2 FAIL): it did not act";

#[derive(Parser)]
#[command(
    name = "wechatpay",
    version,
    about = "WeChat Pay (微信支付) APIv3 and APIv2 from the command line",
    after_help = EXIT_CODES
)]
pub(crate) struct Cli {
    /// Trace each call and attempt on stderr (template, host, status, Request-ID, outcome);
    /// never bodies, keys or placeholder values. Twice for more detail.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// The config file with the profiles (default: $WECHATPAY_CONFIG, else
    /// $XDG_CONFIG_HOME/wechatpay/config.toml, else ~/.config/wechatpay/config.toml).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// The profile to use (`[profiles.NAME]`; default: $WECHATPAY_PROFILE, else the file's
    /// `default`). WECHATPAY_* variables override its keys.
    #[arg(long, global = true, value_name = "NAME")]
    pub profile: Option<String>,
    /// The merchant id, over the profile and WECHATPAY_MCHID.
    #[arg(long, global = true, value_name = "MCHID")]
    pub mchid: Option<String>,
    /// The base URI, over the profile and WECHATPAY_BASE_URI (e.g. the emulator's).
    #[arg(long, global = true, value_name = "URI")]
    pub base_uri: Option<String>,
    /// Sign as this brand (品牌经营平台, the `brand/…` calls), over the profile's `brand_id`:
    /// the brand's settings are then read from WECHATPAY_BRAND_* (as `wechatpay mock --brand`
    /// exports them), and a merchant's (mchid, APIv2/APIv3 keys…) are refused by name.
    #[arg(long, global = true, value_name = "BRAND_ID")]
    pub brand_id: Option<String>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub(crate) enum Command {
    /// Sign and send one call, printing the verified answer.
    ///
    /// Credentials come from the profile (see --config, --profile), overridden by the
    /// environment: WECHATPAY_MCHID, WECHATPAY_SERIAL,
    /// WECHATPAY_PRIVATE_KEY (file), WECHATPAY_PUBLIC_KEY_ID with WECHATPAY_PUBLIC_KEY (file),
    /// WECHATPAY_PLATFORM_CERT (file), WECHATPAY_APIV2_SECRET (or _FILE), WECHATPAY_APIV3_KEY
    /// (or _FILE),
    /// WECHATPAY_MERCHANT_CERT and WECHATPAY_MERCHANT_KEY (files), WECHATPAY_BASE_URI,
    /// WECHATPAY_CA (file: an extra trusted root, e.g. the emulator's); 国密 (a build with the
    /// feature `shangmi`): WECHATPAY_SHANGMI_PRIVATE_KEY and WECHATPAY_SHANGMI_PLATFORM_CERT (files).
    ///
    /// Arguments after the path add to `--args`: `key=value` sets a string (never a number:
    /// `json.mchid=1900000001` sends "1900000001"), `key:=JSON` sets raw JSON
    /// (`json.amount.total:=100`); dots nest (`json.amount.currency=CNY`).
    #[command(after_help = concat!(
        "Examples:\n  wechatpay request GET 'v3/pay/transactions/out-trade-no/{out_trade_no}' \\\n      out_trade_no=1217752501201407033233368018 query.mchid=1900000001\n  \
         wechatpay request POST v3/refund/domestic/refunds --args @refund.json json.amount.refund:=1\n  \
         wechatpay request --dry-run POST v2/pay/orderquery xml.appid=wxd930ea5d5a258f4f xml.mch_id=1900000001 xml.out_trade_no=1\n\n",
        "Split signing (the key stays elsewhere):\n  \
         wechatpay request --string-to-sign GET v3/certificates > s.txt    # stderr: --timestamp T --nonce N\n  \
         SIG=$(openssl dgst -sha256 -sign apiclient_key.pem s.txt | base64 -w0)\n  \
         wechatpay request --signature \"$SIG\" --timestamp T --nonce N GET v3/certificates\n\n",
        "Status and Request-ID go to stderr (with every header under --include); the answer, \
         pretty JSON (APIv2 XML as JSON), to stdout. Control and bidi characters a server sent \
         are shown escaped (\\u{1b} in messages; \\u001b in the JSON, the same value); --raw \
         prints the bytes as they came. --signature sends through the same transport and checks \
         as any call (no redirects, the answer caps, no proxy for loopback), once.\n\n",
        "Exit codes (the worst of the call's attempts):\n  0  success\n  1  it may have taken \
         effect: failed after it was sent, or its answer refused as unverified (query before \
         retrying a write)\n  2  nothing was sent (bad input or configuration, or no \
         connection)\n  3  WeChat Pay refused it in a signed answer: it did not act"
    ))]
    Request {
        /// Build and sign the request, print it as JSON, send nothing.
        #[arg(long)]
        dry_run: bool,
        /// The argument map, as JSON (or `@FILE` to read it, `@-` for stdin): placeholders and
        /// options (json, xml, query, headers, ...).
        #[arg(long, default_value = "{}")]
        args: String,
        /// Print the answer's status line and every header on stderr.
        #[arg(short, long)]
        include: bool,
        /// Print the answer's body as it came (APIv2 XML as XML), not as pretty JSON.
        #[arg(long)]
        raw: bool,
        /// Print the exact APIv3 string to sign and send nothing (no private key needed); the
        /// timestamp and nonce to send it with go to stderr.
        #[arg(long, conflicts_with_all = ["dry_run", "signature"])]
        string_to_sign: bool,
        /// Send with this base64 SHA256-RSA signature, made elsewhere over --string-to-sign's
        /// output (with --timestamp and --nonce).
        #[arg(long, requires_all = ["timestamp", "nonce"], conflicts_with = "dry_run")]
        signature: Option<String>,
        /// The Unix time signed (with --signature; fixes --string-to-sign's).
        #[arg(long)]
        timestamp: Option<String>,
        /// The nonce signed (with --signature; fixes --string-to-sign's).
        #[arg(long)]
        nonce: Option<String>,
        /// HTTP method: GET, POST, PUT, PATCH or DELETE.
        method: String,
        /// A template (`v3/pay/transactions/id/{transaction_id}`) or a dotted chain
        /// (`v3.pay.transactions.id._transaction_id_`).
        path: String,
        /// `key=value` (a string) or `key:=JSON` (raw JSON) pairs; dots nest.
        pairs: Vec<String>,
    },
    /// List the documented calls (all 1,143, offline), filtered by a query.
    ///
    /// The query matches the Chinese title (`撤销`), words of the path (`refund`) or the name
    /// of a field (`out_refund_no`); several words must all match.
    #[command(
        after_help = "Examples:\n  wechatpay list 撤销\n  wechatpay list refund\n  wechatpay list out_refund_no\n  \
                            wechatpay list --v2 security\n\n\
                            Exit codes:\n  0  at least one call listed\n  1  nothing matched"
    )]
    List {
        /// Only APIv2 (XML) calls.
        #[arg(long, conflicts_with = "v3")]
        v2: bool,
        /// Only APIv3 (JSON) calls (not the brand API's `brand/…`).
        #[arg(long)]
        v3: bool,
        /// One JSON array (method, template, protocol, title).
        #[arg(long)]
        json: bool,
        /// Print each call's example (`show`'s last line: a `wechatpay request` line, or `# ` and
        /// why there is none) instead of its title.
        #[arg(long)]
        examples: bool,
        /// The documented notifications (all 114 event types) instead of the calls.
        #[arg(long, conflicts_with = "examples")]
        notifications: bool,
        /// Words to match (title, path, field names).
        query: Vec<String>,
    },
    /// Show one documented call and a ready `wechatpay request` line.
    ///
    /// Protocol, placeholders, fields with types and enums, encrypted fields, mutual TLS, the
    /// answer, and the request line with the required fields filled with example values.
    #[command(
        after_help = "Examples:\n  wechatpay show POST v3/refund/domestic/refunds\n  \
                            wechatpay show v3/refund/domestic/refunds/{out_refund_no}\n\n\
                            Exit codes:\n  0  shown\n  2  no such documented call (or several methods: name one)"
    )]
    Show {
        /// The method then the template, or only the template when one method has it.
        #[arg(num_args = 1..=2, required = true)]
        call: Vec<String>,
        /// The call as JSON (field tables nested, the example line included).
        #[arg(long)]
        json: bool,
    },
    /// Encrypt a sensitive field (name, id number, account) with the WeChat Pay key.
    ///
    /// The ciphertext goes to stdout; the key id to send as `Wechatpay-Serial` to stderr.
    #[command(after_help = concat!(
        "Example:\n  wechatpay encrypt 张三\n  echo -n 张三 | wechatpay encrypt -\n\n",
        "Exit codes:\n  0  encrypted\n  2  no key configured or bad input"
    ))]
    Encrypt {
        /// The plain text, or `-` for stdin.
        text: String,
    },
    /// Decrypt a sensitive field of an answer with the merchant private key.
    #[command(after_help = "Example:\n  wechatpay decrypt 'UvAE3qY…'\n\n\
                            Exit codes:\n  0  decrypted\n  1  the ciphertext did not decrypt\n  2  no key configured")]
    Decrypt {
        /// The base64 ciphertext, or `-` for stdin.
        ciphertext: String,
    },
    /// Pay-sign parameters for a JSAPI / mini-program or APP payment.
    ///
    /// What `wx.requestPayment`, `WeixinJSBridge` or the APP SDK's `PayReq` needs, signed with
    /// the merchant key.
    #[command(
        after_help = "Example:\n  wechatpay sign jsapi --appid wxd678efh567hg6787 --prepay-id wx201410272009395522657a690389285100\n\n\
                            Exit codes:\n  0  signed\n  2  bad input or configuration"
    )]
    Sign {
        /// `jsapi` (also mini-programs) or `app`.
        kind: String,
        /// The AppID the order was made for.
        #[arg(long)]
        appid: String,
        /// The `prepay_id` the order call answered.
        #[arg(long)]
        prepay_id: String,
    },
    /// Verify and decrypt a saved APIv3 callback (needs the APIv3 key).
    #[command(
        after_help = "Examples:\n  wechatpay notify --body body.json --headers headers.txt\n  \
                            wechatpay notify --body body.json -H 'Wechatpay-Timestamp: 1554208460' -H 'Wechatpay-Nonce: …' \\\n      \
                            -H 'Wechatpay-Signature: …' -H 'Wechatpay-Serial: PUB_KEY_ID_…'\n\n\
                            --headers takes `Name: value` lines (a request line is skipped) or a JSON object.\n\n\
                            Exit codes:\n  0  verified and decrypted (the JSON on stdout)\n  \
                            1  refused: signature, timestamp or decryption\n  2  bad input or configuration"
    )]
    Notify {
        /// The raw body, byte for byte.
        #[arg(long, value_name = "FILE")]
        body: String,
        /// The request headers.
        #[arg(long, value_name = "FILE")]
        headers: Option<String>,
        /// A header, `Name: value` (repeatable; over --headers).
        #[arg(short = 'H', long = "header", value_name = "HEADER")]
        header: Vec<String>,
        /// Verify at the callback's own Wechatpay-Timestamp (a saved, older callback).
        #[arg(long)]
        replay: bool,
        /// An APIv2 (XML) callback: `sign` checked with the APIv2 secret, a refund's `req_info`
        /// decrypted; no headers needed.
        #[arg(long)]
        v2: bool,
    },
    /// Download, verify and decrypt the platform certificates (needs the APIv3 key).
    #[command(after_help = "Example:\n  wechatpay certificates --save ./certs\n\n\
                            Exit codes:\n  0  downloaded\n  1  failed after sending\n  2  nothing sent\n  3  refused by WeChat Pay (signed)")]
    Certificates {
        /// Write each as DIR/wechatpay_SERIAL.pem: a new file readable by its owner only,
        /// renamed into place; a symlink (or anything but a regular file) there is refused.
        #[arg(long, value_name = "DIR")]
        save: Option<PathBuf>,
    },
    /// Ask for a trade or fund-flow bill, then download it, checked against its digest.
    ///
    /// A gzip bill (--tar-type GZIP) is checked unpacked, as WeChat Pay computes its digest;
    /// it is saved as received unless --gunzip is given. Progress goes to stderr when it is a
    /// terminal (or with --progress).
    #[command(
        after_help = "Examples:\n  wechatpay bill trade --date 2019-06-11 --out trade.csv\n  \
                            wechatpay bill fundflow --date 2019-06-11 --type OPERATION --tar-type GZIP --out fund.csv.gz\n  \
                            wechatpay bill trade --date 2019-06-11 --tar-type GZIP --gunzip --out trade.csv\n\n\
                            Exit codes:\n  0  saved and checked\n  1  failed after sending (digest mismatch: the file is removed)\n  2  nothing sent\n  3  refused by WeChat Pay (signed; e.g. no bill for that date)"
    )]
    Bill {
        /// `trade` (v3/bill/tradebill) or `fundflow` (v3/bill/fundflowbill).
        kind: String,
        /// The bill date, YYYY-MM-DD.
        #[arg(long)]
        date: String,
        /// bill_type (trade: ALL, SUCCESS, REFUND) or account_type (fundflow: BASIC, OPERATION, FEES).
        #[arg(long = "type")]
        bill_type: Option<String>,
        /// Where to save the file.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// Ask for the bill packed: GZIP (the only packing WeChat Pay offers).
        #[arg(long, value_name = "GZIP", value_parser = ["GZIP"], ignore_case = true)]
        tar_type: Option<String>,
        /// Save a gzip bill unpacked (a bill that arrives unpacked is saved as it is).
        #[arg(long)]
        gunzip: bool,
        /// Show the download's progress on stderr even when it is not a terminal (one line a
        /// second instead of a line redrawn in place).
        #[arg(long)]
        progress: bool,
    },
    /// Check a configuration, one line per finding with its fix.
    ///
    /// The key matches the certificate and serial, key sizes, ids, expiry dates, secrets'
    /// lengths (never shown), files holding secrets (the config file with one inline, key and
    /// secret files) open to group or others; with --online WeChat Pay's self-test
    /// (v3/security/echo), which works in public-key and certificate mode alike: whether WeChat
    /// Pay accepts the request signature, which configured key verified its answer, and the
    /// clock offset.
    #[command(
        after_help = "Example:\n  wechatpay --profile prod doctor --online\n\n\
                            Exit codes:\n  0  no failure (warnings may remain)\n  1  at least one FAIL line"
    )]
    Doctor {
        /// Also call WeChat Pay's self-test (POST v3/security/echo): the request signature
        /// accepted, the answer verified with the configured key, the clocks compared.
        #[arg(long)]
        online: bool,
    },
    /// Print a shell completion script: bash, zsh, fish, elvish or powershell.
    #[command(
        after_help = "Example:\n  wechatpay completions bash > ~/.local/share/bash-completion/completions/wechatpay\n  \
                      wechatpay completions zsh > \"${fpath[1]}/_wechatpay\"\n\n\
                      Exit codes:\n  0  printed\n  2  unknown shell"
    )]
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Run the local WeChat Pay emulator on 127.0.0.1 until interrupted.
    ///
    /// It prints the `export WECHATPAY_*=…` lines that point this tool at it; every documented
    /// call is answered in its documented shape. The key files go to a fresh private directory
    /// ($TMPDIR/wechatpay-emulator-RANDOM, mode 0700, files 0600), removed when it stops (a
    /// SIGKILL leaves it behind, still private).
    #[command(
        after_help = "Example:\n  wechatpay mock > emulator.env &\n  sleep 1; . ./emulator.env\n  \
                            wechatpay request POST v3/refund/domestic/refunds json.out_refund_no=R1 json.amount.refund:=1 \\\n      \
                            json.amount.total:=1 json.amount.currency=CNY\n\n\
                            Variables printed (every SDK is configured from them; docs/emulator.md has the table):\n  \
                            WECHATPAY_MODE, WECHATPAY_MCHID, WECHATPAY_SERIAL (merchant API certificate serial),\n  \
                            WECHATPAY_PRIVATE_KEY, WECHATPAY_MERCHANT_CERT, WECHATPAY_MERCHANT_KEY (files),\n  \
                            WECHATPAY_APIV2_SECRET, WECHATPAY_APIV3_KEY,\n  \
                            WECHATPAY_PUBLIC_KEY_ID, WECHATPAY_PUBLIC_KEY (file; not in certificate mode),\n  \
                            WECHATPAY_PLATFORM_SERIAL, WECHATPAY_PLATFORM_CERT (file), WECHATPAY_PLATFORM_CERT_DIR\n    \
                            (a folder holding it alone; not in public-key mode),\n  \
                            WECHATPAY_BASE_URI, WECHATPAY_ADMIN_URL, WECHATPAY_ADMIN_TOKEN (the admin API's token),\n  \
                            WECHATPAY_CA (the emulator's TLS CA, a file)\n  \
                            with --brand: WECHATPAY_BRAND_ID, WECHATPAY_BRAND_SERIAL, WECHATPAY_BRAND_PRIVATE_KEY (file),\n    \
                            WECHATPAY_BRAND_API_KEY, WECHATPAY_BRAND_PUBLIC_KEY_ID, WECHATPAY_BRAND_PUBLIC_KEY (file;\n    \
                            every mode: brands verify with the public key only)\n\n\
                            The dashboard's URL (with the token) goes to stderr.\n\n\
                            Exit codes:\n  0  stopped by Ctrl-C, SIGTERM or SIGHUP (its key directory removed)\n  \
                            2  could not start (port taken, directory not writable)"
    )]
    Mock {
        /// Port to listen on (default: a free one).
        #[arg(long)]
        port: Option<u16>,
        /// Print one JSON object (the environment lines' values and the admin API's config)
        /// instead of `export` lines.
        #[arg(long)]
        json: bool,
        /// Strict orders: unknown orders are `404 ORDER_NOT_EXIST`.
        #[arg(long)]
        strict: bool,
        /// The WeChat Pay keys the merchant has: the public key (answers signed under
        /// PUB_KEY_ID_…, no platform certificate to download), the platform certificate (from
        /// GET v3/certificates), or both (the switch: each answer signed with the key its
        /// request names in Wechatpay-Serial, the certificate when it names none). The export
        /// lines carry the mode's keys; switch later with PUT /__emulator/mode.
        #[arg(long, default_value = "public-key", value_parser = ["public-key", "certificate", "both"])]
        mode: String,
        /// Also know a brand (品牌经营平台) with this brand id, for the `brand/…` calls: a
        /// fresh key, serial and brand API key, exported as WECHATPAY_BRAND_*. The id goes
        /// after `=` (`--brand=1001`; plain `--brand` is 1001), so a subcommand after it is not
        /// taken for an id.
        #[arg(
            long,
            value_name = "BRAND_ID",
            num_args = 0..=1,
            require_equals = true,
            default_missing_value = "1001"
        )]
        brand: Option<String>,
        /// 国密 mode (a build with the feature `shangmi`): calls signed WECHATPAY2-SM2-WITH-SM3;
        /// the lines export the SM2 key and certificate instead of the RSA ones.
        #[arg(long)]
        shangmi: bool,
        #[command(subcommand)]
        action: Option<crate::mock_notify::MockAction>,
    },
}
