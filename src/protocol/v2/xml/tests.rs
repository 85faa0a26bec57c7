use super::*;

#[test]
fn names_follow_the_php_rule() {
    for ok in ["a", "_a", "中文", "ns:x", "a.b-c_9", "É"] {
        assert!(is_name(ok), "{ok}");
    }
    for bad in [
        "", "1abc", "bad name", "5", "-a", ".a", "a>b", "a/b", "a\"b",
    ] {
        assert!(!is_name(bad), "{bad}");
    }
}

#[test]
fn cdata_splits_the_end_marker() {
    assert_eq!(cdata("a]]>b"), "<![CDATA[a]]]]><![CDATA[>b]]>");
    assert_eq!(cdata(""), "<![CDATA[]]>");
    assert_eq!(cdata("a<\r\nb"), "<![CDATA[a<]]>&#13;<![CDATA[\nb]]>");
    // and it reads back as written
    let xml = format!("<xml><k>{}</k></xml>", cdata("x<y\r\nz"));
    assert_eq!(from_xml(&xml).unwrap()["k"], "x<y\r\nz");
}
