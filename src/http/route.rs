//! Routes: a method (or any) and a path pattern of literal segments,
//! `:name` parameters and a trailing `*` wildcard. The first route that
//! matches wins, in the order they were added; nothing matching goes to the
//! fallback (404 unless the program adds one).

use std::ops::Range;

use crate::{Error, Result};

/// Names a route of a [`Server`](super::Server), in the order routes were
/// added (0, 1, ...). [`RouteId::FALLBACK`] is the request no route matched.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RouteId(pub u32);

impl RouteId {
    /// No route matched the request.
    pub const FALLBACK: RouteId = RouteId(u32::MAX);
}

#[derive(Debug)]
enum Segment {
    Literal(String),
    Param(String),
}

#[derive(Debug)]
struct Route {
    /// None: any method.
    method: Option<String>,
    segments: Vec<Segment>,
    wildcard: bool,
    /// A literal segment holds a '?', which no path does.
    never: bool,
}

/// The routes of a server.
#[derive(Debug, Default)]
pub(crate) struct Router {
    routes: Vec<Route>,
}

/// Where a route's parameters are in the path: name index and value range.
pub(crate) type Params = Vec<(u16, Range<u32>)>;

/// The path of a request target: up to its '?'.
pub(crate) fn path(target: &[u8]) -> &[u8] {
    target.iter().position(|&b| b == b'?').map_or(target, |q| &target[..q])
}

/// Whether a path segment ends before byte `b` (None: the target's end).
fn ends_segment(b: Option<&u8>) -> bool {
    matches!(b, None | Some(b'/' | b'?'))
}

impl Router {
    /// Adds a route: `method` (None: any) and a pattern such as `/users/:id`
    /// or `/static/*`.
    pub(crate) fn add(&mut self, method: Option<&str>, pattern: &str) -> Result<RouteId> {
        let Some(rest) = pattern.strip_prefix('/') else {
            return Err(Error::InvalidArgument("a route pattern starts with '/'"));
        };
        if let Some(m) = method {
            if m.is_empty() || !m.bytes().all(|b| b.is_ascii_graphic()) {
                return Err(Error::InvalidArgument("a route's method is a token such as GET"));
            }
        }
        let mut segments = Vec::new();
        let mut wildcard = false;
        let parts: Vec<&str> = if rest.is_empty() { Vec::new() } else { rest.split('/').collect() };
        for (i, part) in parts.iter().enumerate() {
            if *part == "*" {
                if i + 1 != parts.len() {
                    return Err(Error::InvalidArgument("'*' must be a route pattern's last segment"));
                }
                wildcard = true;
            } else if let Some(name) = part.strip_prefix(':') {
                if name.is_empty() {
                    return Err(Error::InvalidArgument("a ':' parameter needs a name"));
                }
                segments.push(Segment::Param(name.to_owned()));
            } else {
                segments.push(Segment::Literal((*part).to_owned()));
            }
        }
        let id = u32::try_from(self.routes.len()).map_err(|_| Error::InvalidArgument("too many routes"))?;
        let never = segments.iter().any(|s| matches!(s, Segment::Literal(l) if l.contains('?')));
        self.routes.push(Route {
            method: method.map(str::to_owned),
            segments,
            wildcard,
            never,
        });
        Ok(RouteId(id))
    }

    /// The route for `method` and request target `target` (its path: the
    /// query after '?' is not looked at), with its parameters written
    /// into `params` as ranges into `target` offset by `base`.
    pub(crate) fn find(&self, method: &[u8], target: &[u8], base: u32, params: &mut Params) -> RouteId {
        'routes: for (i, r) in self.routes.iter().enumerate() {
            // HEAD is answered by GET routes (without the body).
            let fits = |m: &String| m.as_bytes() == method || (method == b"HEAD" && m == "GET");
            if r.never || r.method.as_ref().is_some_and(|m| !fits(m)) {
                continue;
            }
            params.clear();
            let mut rest = target.strip_prefix(b"/").unwrap_or(target);
            let mut offset = base + (target.len() - rest.len()) as u32;
            for seg in &r.segments {
                // A literal is compared in place; only a parameter's end
                // is searched for.
                let end = match seg {
                    Segment::Literal(l) if rest.starts_with(l.as_bytes()) && ends_segment(rest.get(l.len())) => l.len(),
                    Segment::Param(_) => {
                        let end = rest.iter().position(|b| ends_segment(Some(b))).unwrap_or(rest.len());
                        if end == 0 {
                            continue 'routes;
                        }
                        params.push((params.len() as u16, offset..offset + end as u32));
                        end
                    }
                    Segment::Literal(_) => continue 'routes,
                };
                let step = if rest.get(end) == Some(&b'/') { end + 1 } else { end };
                rest = &rest[step..];
                offset += step as u32;
            }
            if rest.first().is_none_or(|&b| b == b'?') || r.wildcard {
                return RouteId(i as u32);
            }
        }
        params.clear();
        RouteId::FALLBACK
    }

    /// Whether `route` was added.
    pub(crate) fn has(&self, route: RouteId) -> bool {
        (route.0 as usize) < self.routes.len()
    }

    /// The name of parameter `index` of `route`.
    pub(crate) fn param_name(&self, route: RouteId, index: u16) -> Option<&str> {
        let r = self.routes.get(route.0 as usize)?;
        r.segments
            .iter()
            .filter_map(|s| match s {
                Segment::Param(n) => Some(n.as_str()),
                Segment::Literal(_) => None,
            })
            .nth(usize::from(index))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_params_and_wildcards() {
        let mut r = Router::default();
        let root = r.add(Some("GET"), "/").unwrap();
        let user = r.add(Some("GET"), "/users/:id").unwrap();
        let files = r.add(None, "/static/*").unwrap();
        let post = r.add(Some("POST"), "/users/:id/posts/:post").unwrap();
        let mut p = Params::new();
        assert_eq!(r.find(b"GET", b"/", 0, &mut p), root);
        assert_eq!(r.find(b"GET", b"/users/42", 10, &mut p), user);
        assert_eq!(p, vec![(0, 17..19)]);
        assert_eq!(r.param_name(user, 0), Some("id"));
        assert_eq!(r.find(b"GET", b"/users/", 0, &mut p), RouteId::FALLBACK, "an empty parameter does not match");
        assert!(p.is_empty());
        assert_eq!(r.find(b"PUT", b"/static/a/b.css", 0, &mut p), files);
        assert_eq!(r.find(b"POST", b"/users/7/posts/9", 0, &mut p), post);
        assert_eq!(p.len(), 2);
        assert_eq!(r.find(b"GET", b"/nope", 0, &mut p), RouteId::FALLBACK);
        assert!(p.is_empty(), "no parameters left from an earlier request");
        assert_eq!(r.find(b"GET", b"/users/42?x=/y", 0, &mut p), user, "the query is not part of the path");
        assert_eq!(p, vec![(0, 7..9)]);
        assert_eq!(r.find(b"GET", b"/?a", 0, &mut p), root);
        assert_eq!(r.find(b"GET", b"/users?id=1", 0, &mut p), RouteId::FALLBACK);
        assert_eq!(r.find(b"GET", b"/users/?id=1", 0, &mut p), RouteId::FALLBACK);
        assert_eq!(r.find(b"HEAD", b"/static/a?b", 0, &mut p), files);
        let odd = r.add(None, "/a?b").unwrap();
        assert_ne!(r.find(b"GET", b"/a?b", 0, &mut p), odd, "a '?' in a pattern matches no path");
        assert_eq!(path(b"/a/b?c?d"), b"/a/b");
        assert_eq!(path(b"/a/b"), b"/a/b");
        assert!(r.add(None, "no-slash").is_err());
        assert!(r.add(None, "/a/*/b").is_err());
    }
}
