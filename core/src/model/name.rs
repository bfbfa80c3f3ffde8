//! A span's name: text that is usually the same on every call (a traced function's name, a
//! literal), so the hot path shares it instead of copying it per span.

use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

/// A span name. Static and shared names cost no allocation per span: `&'static str` for
/// literals, `Arc<str>` for names a binding keeps per traced function (a clone is a reference
/// count). A `String` is kept as it is, for names made per call.
///
/// ```
/// use ferrotrace_core::model::SpanName;
/// let shared: std::sync::Arc<str> = "agent".into();
/// let a = SpanName::from(shared.clone());
/// assert_eq!(a, "agent");
/// assert_eq!(a, SpanName::from("agent"));
/// assert_eq!(SpanName::from(String::from("agent")).as_str(), "agent");
/// ```
#[derive(Clone)]
pub struct SpanName(Repr);

#[derive(Clone)]
enum Repr {
    Static(&'static str),
    Shared(Arc<str>),
    Owned(String),
}

impl SpanName {
    /// The name as text.
    #[inline]
    pub fn as_str(&self) -> &str {
        match &self.0 {
            Repr::Static(s) => s,
            Repr::Shared(s) => s,
            Repr::Owned(s) => s,
        }
    }
}

impl Default for SpanName {
    fn default() -> Self {
        SpanName(Repr::Static(""))
    }
}

impl Deref for SpanName {
    type Target = str;
    #[inline]
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for SpanName {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl From<&'static str> for SpanName {
    #[inline]
    fn from(s: &'static str) -> Self {
        SpanName(Repr::Static(s))
    }
}

impl From<String> for SpanName {
    #[inline]
    fn from(s: String) -> Self {
        SpanName(Repr::Owned(s))
    }
}

impl From<Arc<str>> for SpanName {
    #[inline]
    fn from(s: Arc<str>) -> Self {
        SpanName(Repr::Shared(s))
    }
}

impl From<&Arc<str>> for SpanName {
    #[inline]
    fn from(s: &Arc<str>) -> Self {
        SpanName(Repr::Shared(s.clone()))
    }
}

impl From<std::borrow::Cow<'static, str>> for SpanName {
    fn from(s: std::borrow::Cow<'static, str>) -> Self {
        match s {
            std::borrow::Cow::Borrowed(s) => s.into(),
            std::borrow::Cow::Owned(s) => s.into(),
        }
    }
}

impl From<SpanName> for String {
    fn from(s: SpanName) -> Self {
        match s.0 {
            Repr::Owned(s) => s,
            other => SpanName(other).as_str().to_owned(),
        }
    }
}

impl PartialEq for SpanName {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for SpanName {}

impl PartialEq<str> for SpanName {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for SpanName {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<String> for SpanName {
    fn eq(&self, other: &String) -> bool {
        self.as_str() == other
    }
}

impl std::hash::Hash for SpanName {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl fmt::Debug for SpanName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for SpanName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests;
