//! A local WeChat Pay emulator (feature `mock`).
